package io.bpf4j.tools.trace;

import io.bpf4j.core.link.Tracefs;
import io.bpf4j.core.link.TracepointFormat;
import io.bpf4j.core.link.Usdt;
import io.bpf4j.tools.KernelFunctions;
import io.bpf4j.tools.UsageError;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A probe of {@code trace} and {@code argdist}, written as bcc writes them:
 * <ul>
 *   <li>{@code t:CATEGORY:NAME} (or {@code tracepoint:}): a kernel tracepoint; its fields (from tracefs
 *       {@code events/CATEGORY/NAME/format}) are the names, also as {@code args->field};</li>
 *   <li>{@code u:BINARY:FUNCTION} (or {@code p:}, {@code uprobe:}): a function's entry in an executable or
 *       library (a path, or a name such as {@code c} or {@code libc}); names {@code arg1}..{@code arg6};</li>
 *   <li>{@code r:BINARY:FUNCTION} (or {@code uretprobe:}): its return; name {@code retval};</li>
 *   <li>{@code U:BINARY:PROVIDER:NAME} (or {@code usdt:}): a USDT probe; names {@code arg1}..{@code argN}.</li>
 * </ul>
 * A function may carry a C signature, {@code u:c:malloc(size_t size)}: its parameter names stand for
 * {@code arg1}.. in that order.
 */
final class Probe {
    enum Kind { TRACEPOINT, UPROBE, URETPROBE, USDT }

    /** A tracepoint field: {@code field:TYPE NAME; offset:N; size:N; signed:N;}. */
    record Field(String name, String type, int offset, int size, boolean signed, boolean array) {
        boolean isString() {
            return type.contains("char") && (array || type.startsWith("__data_loc") || type.startsWith("__rel_loc"));
        }

        boolean isCharPointer() {
            return type.contains("char") && type.contains("*");
        }
    }

    final String text;
    final Kind kind;
    /** Tracepoint category, or the binary. */
    final String where;
    /** Tracepoint name, function, or USDT probe name. */
    final String name;
    /** USDT provider. */
    final String provider;
    /** Signature parameter names → arg1.. */
    final List<String> params;
    /** The parameters the signature declares as {@code char *}: read as strings. */
    final Set<String> stringParams = new LinkedHashSet<>();
    /** Tracepoint fields by name (empty for other kinds). */
    final Map<String, Field> fields;

    private Probe(String text, Kind kind, String where, String name, String provider, List<String> params,
                  Map<String, Field> fields) {
        this.text = text;
        this.kind = kind;
        this.where = where;
        this.name = name;
        this.provider = provider;
        this.params = params;
        this.fields = fields;
    }

    /** What bcc's FUNC column shows: the tracepoint, function or USDT probe name. */
    String func() {
        return name;
    }

    /**
     * Parses a probe; tracepoints read their format now (mounting tracefs if needed).
     *
     * @throws UsageError            when the text is not a probe
     * @throws IllegalStateException when it names a kernel function (bcc's {@code p::FUNC}, {@code r::FUNC} or
     *                               bare {@code FUNC}, bpftrace's {@code kprobe:FUNC}…), which needs kprobes
     */
    static Probe parse(String text) {
        kernelFunction(text).flatMap(f -> KernelFunctions.cannotTrace(f, "trace and argdist trace tracepoints, "
                + "uprobes and USDT probes")).ifPresent(why -> {
                    throw new IllegalStateException(why);
                });
        int colon = text.indexOf(':');
        if (colon < 0) throw bad(text, "no KIND: prefix (t:, u:, r:, U:)");
        String kindText = text.substring(0, colon), rest = text.substring(colon + 1);
        Kind kind = switch (kindText) {
            case "t", "tracepoint" -> Kind.TRACEPOINT;
            case "u", "p", "uprobe" -> Kind.UPROBE;
            case "r", "uretprobe" -> Kind.URETPROBE;
            case "U", "usdt" -> Kind.USDT;
            default -> throw bad(text, "unknown kind '" + kindText + "' (t, u, r, U)");
        };
        List<String> params = new ArrayList<>();
        Set<String> stringParams = new LinkedHashSet<>();
        int paren = rest.indexOf('(');
        if (paren >= 0) {
            if (!rest.endsWith(")")) throw bad(text, "a signature ends with ')'");
            for (String p : rest.substring(paren + 1, rest.length() - 1).split(",")) {
                String t = p.strip();
                if (t.isEmpty() || t.equals("void")) continue;
                Matcher m = Pattern.compile("([A-Za-z_]\\w*)\\s*(\\[[^]]*])?$").matcher(t);
                if (!m.find()) throw bad(text, "cannot read parameter '" + t + "'");
                params.add(m.group(1));
                if (t.contains("char") && t.contains("*")) stringParams.add(m.group(1));
            }
            rest = rest.substring(0, paren);
        }
        int last = rest.lastIndexOf(':');
        if (last <= 0 || last == rest.length() - 1) throw bad(text, "expected " + kindText + ":WHERE:NAME");
        String where = rest.substring(0, last), name = rest.substring(last + 1);
        Probe probe = switch (kind) {
            case TRACEPOINT -> new Probe(text, kind, where, name, null, List.of(), format(where, name));
            case USDT -> {
                int mid = where.lastIndexOf(':');
                if (mid <= 0) throw bad(text, "expected U:BINARY:PROVIDER:NAME");
                yield new Probe(text, kind, where.substring(0, mid), name, where.substring(mid + 1), params,
                        Map.of());
            }
            default -> {
                if (where.isEmpty()) throw bad(text, "a uprobe needs a binary or library: u:BINARY:FUNCTION");
                yield new Probe(text, kind, where, name, null, params, Map.of());
            }
        };
        probe.stringParams.addAll(stringParams);
        return probe;
    }

    private static UsageError bad(String text, String why) {
        return new UsageError("probe '" + text + "': " + why);
    }

    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][\\w.]*");

    /**
     * The kernel function a probe names, if it names one: {@code p::FUNC} and {@code r::FUNC} (bcc: no library
     * is the kernel), a bare {@code FUNC} (bcc's trace), {@code k:}, {@code kr:}, {@code kprobe:},
     * {@code kretprobe:} (bpftrace), a signature or more colon-separated parts after it allowed.
     */
    static java.util.Optional<String> kernelFunction(String text) {
        String t = text.strip();
        int paren = t.indexOf('(');
        String head = paren >= 0 ? t.substring(0, paren) : t;
        String[] p = head.split(":", -1);
        String func = null;
        if (p.length == 1) {
            func = p[0];
        } else if (p.length >= 3 && List.of("p", "r").contains(p[0]) && p[1].isEmpty()) {
            func = p[2];
        } else if (List.of("k", "kr", "kprobe", "kretprobe").contains(p[0])) {
            func = p.length >= 3 && p[1].isEmpty() ? p[2] : p[1];
        }
        return func != null && IDENTIFIER.matcher(func).matches() ? java.util.Optional.of(func)
                : java.util.Optional.empty();
    }

    /** The fields of tracepoint {@code category:name}, from its tracefs format file ({@link Tracefs#format}). */
    static Map<String, Field> format(String category, String name) {
        TracepointFormat format = Tracefs.format(category, name).orElseThrow(() -> {
            Path file = Tracefs.event(category, name).resolve("format");
            return new UsageError("no tracepoint " + category + ":" + name + " (" + file
                    + " does not exist; see " + file.getParent().getParent().getParent() + ")");
        });
        Map<String, Field> out = new LinkedHashMap<>();
        for (TracepointFormat.Field f : format.fields()) {
            // trace's own type names the element type of an array ("char" for char comm[16])
            String type = f.array() ? f.cType().substring(0, f.cType().indexOf('[')).strip() : f.cType();
            out.put(f.name(), new Field(f.name(), type, f.offset(), f.size(), f.signed(), f.array()));
        }
        return out;
    }

    /** The probe's own names (fields, args, retval) and the process names, for error messages. */
    List<String> knownNames(int usdtArgs) {
        List<String> out = new ArrayList<>();
        switch (kind) {
            case TRACEPOINT -> fields.keySet().stream().filter(f -> !f.startsWith("common_")).forEach(out::add);
            case UPROBE -> {
                out.addAll(params);
                for (int i = 1; i <= 6; i++) out.add("arg" + i);
            }
            case URETPROBE -> out.add("retval");
            case USDT -> {
                for (int i = 1; i <= usdtArgs; i++) out.add("arg" + i);
            }
        }
        out.addAll(List.of("$pid", "$tid", "$comm", "$cpu"));
        return out;
    }

    /** For USDT: the sites of the probe in its binary. */
    List<Usdt.Probe> usdtSites(Path binary) {
        return Usdt.find(binary, provider, name);
    }
}
