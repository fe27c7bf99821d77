package io.bpf4j.bcc.compile;

import io.bpf4j.core.link.TracepointFormat;
import io.bpf4j.core.link.Tracefs;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Compiles bcc-dialect BPF C to a BPF ELF object with clang at run time.
 *
 * <p>The source is what a bcc program passes as {@code BPF(text=…)}: {@code BPF_HASH(counts, u32)},
 * {@code counts.increment(key)}, {@code TRACEPOINT_PROBE(sched, sched_switch) { … args->prev_pid … }},
 * {@code int kprobe__tcp_v4_connect(struct pt_regs *ctx, struct sock *sk)}, {@code #include <net/sock.h>}. It is
 * rewritten at token level ({@code BccRewriter}), compiled with {@code clang -target bpf -O2 -g} against the
 * vmlinux.h written from the running kernel's BTF and bpf4j's {@code bcc.h} (no kernel headers), and the object is
 * kept in the cache under a hash of everything that went into it, so the same source compiles once per kernel.
 *
 * <p>The cache is {@code $BPF4J_CACHE_DIR/bcc}, or {@code ~/.cache/bpf4j/bcc}. clang is {@code clang-19} or
 * {@code clang}, the first found on {@code PATH}. An instance holds no open resources; it is safe to share between
 * threads (concurrent compiles of one source each write the object once, atomically).
 */
public final class BccCompiler {
    private static final List<String> CLANG_NAMES = List.of("clang-19", "clang");
    private static final Pattern DIAGNOSTIC = Pattern.compile("^(.*?):(\\d+):(\\d+): (?:fatal )?error: (.*)$");

    private final Path cacheDir;
    private final List<Path> searchPath;

    private BccCompiler(Path cacheDir, List<Path> searchPath) {
        this.cacheDir = cacheDir;
        this.searchPath = List.copyOf(searchPath);
    }

    /** A compiler with the cache directory and {@code PATH} of the environment. */
    public static BccCompiler create() {
        String env = System.getenv("BPF4J_CACHE_DIR");
        Path root = env != null && !env.isBlank() ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".cache", "bpf4j");
        String path = System.getenv("PATH");
        return create(root.resolve("bcc"), splitPath(path == null ? "/usr/local/bin:/usr/bin:/bin" : path));
    }

    /**
     * A compiler with its own cache directory and the directories to look for clang in.
     *
     * @param cacheDir   where the include directory and the objects go (created when needed)
     * @param searchPath the directories searched for {@code clang-19}, then {@code clang}, in order
     */
    public static BccCompiler create(Path cacheDir, List<Path> searchPath) {
        return new BccCompiler(cacheDir.toAbsolutePath(), searchPath);
    }

    /** The cache directory: {@code include-*} (vmlinux.h and bpf4j's headers per kernel) and {@code obj}. */
    public Path cacheDir() {
        return cacheDir;
    }

    /**
     * Compiles {@code source}, or finds its object in the cache.
     *
     * @throws BccCompileException clang's errors or unsupported dialect constructs, one line each at the line of
     *                             {@code source} ({@code NAME:LINE:COL: error: …}); clang missing; the kernel's BTF
     *                             or tracefs unreadable
     */
    public CompiledSource compile(String source, BccOptions options) throws BccCompileException {
        String name = options.sourceName();
        KernelHeaders headers;
        try {
            headers = KernelHeaders.of(cacheDir);
        } catch (IOException | UncheckedIOException e) {
            throw new BccCompileException("cannot prepare the kernel's headers in " + cacheDir + ": "
                    + describe(e) + " (bcc sources need the kernel's BTF, " + KernelHeaders.VMLINUX
                    + ", and a writable cache: set BPF4J_CACHE_DIR)");
        }
        BccRewriter.Result rewritten;
        try {
            rewritten = BccRewriter.rewrite(source, name, headers::structMembers);
        } catch (UncheckedIOException e) {
            throw new BccCompileException("cannot read " + headers.dir().resolve("vmlinux.h") + ": " + describe(e));
        }
        if (!rewritten.problems().isEmpty()) throw new BccCompileException(rewritten.problems());
        String text = prelude(rewritten, name) + "#line 1 \"" + name + "\"\n" + rewritten.text();
        Optional<Path> clang = findClang();
        String key = KernelHeaders.sha256(cacheKey(text, options, headers, clang).getBytes(StandardCharsets.UTF_8));
        Path objDir = cacheDir.resolve("obj");
        Path object = objDir.resolve(key + ".o");
        if (Files.isRegularFile(object)) return new CompiledSource(object, rewritten.autoAttach(), true);
        if (clang.isEmpty()) {
            throw new BccCompileException("clang not found (looked for " + String.join(", ", CLANG_NAMES)
                    + " on PATH): bcc sources are compiled at run time; install it with 'apt-get install clang-19'");
        }
        try {
            Files.createDirectories(objDir);
            Path tmp = Files.createTempFile(objDir, key, ".o.tmp");
            // clang copies each source line into the object's BTF line info (what verifier errors show) from the
            // file the #line directive names, relative to its working directory: the source as given, there
            Path work = Files.createTempDirectory(objDir, key + ".src");
            try {
                Path named = work.resolve(name).normalize();
                if (named.startsWith(work) && !named.equals(work)) {
                    Files.createDirectories(named.getParent());
                    Files.writeString(named, source);
                }
                Path c = work.resolve(key + ".c");
                Files.writeString(c, text);
                List<String> command = command(clang.get(), options, headers, c, tmp);
                Process p = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true)
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
                String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                int status = p.waitFor();
                if (status != 0) throw new BccCompileException(errors(output, name, rewritten.columns()));
                // kept beside the object: what clang compiled, for a person reading a verifier log
                Files.move(c, objDir.resolve(key + ".c"), StandardCopyOption.REPLACE_EXISTING);
                try {
                    Files.move(tmp, object, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, object, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
                KernelHeaders.deleteTree(work);
            }
        } catch (IOException e) {
            throw new BccCompileException("cannot compile " + name + " with " + clang.get() + ": " + describe(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BccCompileException("interrupted while compiling " + name);
        }
        return new CompiledSource(object, rewritten.autoAttach(), false);
    }

    /** bcc.h, then a struct per tracepoint the source uses, laid out as its tracefs format says. */
    private static String prelude(BccRewriter.Result rewritten, String name) {
        StringBuilder b = new StringBuilder(rewritten.usdt() ? "#define __BPF4J_USDT 1\n" : "");
        b.append("#include \"bpf4j/bcc.h\"\n");
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, BccRewriter.Position> e : rewritten.tracepoints().entrySet()) {
            String[] parts = e.getKey().split(":", 2);
            Optional<TracepointFormat> format;
            try {
                format = Tracefs.format(parts[0], parts[1]);
            } catch (UncheckedIOException ex) {
                throw new BccCompileException("cannot read the format of tracepoint " + e.getKey() + ": "
                        + describe(ex));
            }
            if (format.isEmpty()) {
                missing.add(name + ":" + e.getValue().line() + ":" + e.getValue().col() + ": error: no tracepoint " + e.getKey() + " on this kernel (tracefs has "
                        + "no events/" + parts[0] + "/" + parts[1] + "/format)");
                continue;
            }
            b.append(tracepointStruct(format.get()));
        }
        if (!missing.isEmpty()) {
            throw new BccCompileException(missing);
        }
        return b.toString();
    }

    /**
     * {@code struct tracepoint__CAT__NAME}: every field at its format offset (explicit padding where the format
     * has a gap); {@code __data_loc} fields as the 32-bit word they are, read with {@code TP_DATA_LOC_READ}.
     */
    static String tracepointStruct(TracepointFormat format) {
        StringBuilder b = new StringBuilder("struct tracepoint__" + format.category() + "__" + format.name() + " {");
        int at = 0;
        int pad = 0;
        for (TracepointFormat.Field f : format.fields()) {
            if (f.offset() < at) continue; // a union member the format lists twice: keep the first
            if (f.offset() > at) b.append(" char __pad").append(pad++).append('[').append(f.offset() - at).append("];");
            String decl;
            if (f.dataLoc()) {
                decl = "int " + f.name();
            } else if (f.array()) {
                decl = f.declaration();
            } else if (f.cType().endsWith("*")) {
                decl = f.declaration();
            } else {
                decl = scalar(f) + " " + f.name();
            }
            b.append(' ').append(decl).append(';');
            at = f.offset() + f.size();
        }
        return b.append(" };\n").toString();
    }

    /** A scalar field by its size and sign: the format's type names (enums, kernel typedefs) need not exist. */
    private static String scalar(TracepointFormat.Field f) {
        String t = f.cType().replace("const ", "").replace("volatile ", "").strip();
        String base = switch (f.size()) {
            case 1 -> f.signed() ? "s8" : "u8";
            case 2 -> f.signed() ? "s16" : "u16";
            case 4 -> f.signed() ? "s32" : "u32";
            case 8 -> f.signed() ? "s64" : "u64";
            default -> null;
        };
        if (base == null) return t;
        // keep the kernel's name where it is a plain C integer type (bool, char, int, long, u32…)
        return t.matches("(unsigned |signed )?(char|short|int|long|long long|bool|_Bool)( int)?|[us](8|16|32|64)"
                + "|__[us](8|16|32|64)|pid_t|size_t|gfp_t|dev_t") ? t : base;
    }

    private String cacheKey(String text, BccOptions options, KernelHeaders headers, Optional<Path> clang) {
        StringBuilder k = new StringBuilder("bpf4j-bcc 1\n").append(text).append('\0');
        new TreeMap<>(options.defines()).forEach((n, v) -> k.append("-D").append(n).append('=').append(v)
                .append('\0'));
        options.includeDirs().forEach(d -> k.append("-I").append(d.toAbsolutePath()).append('\0'));
        options.cflags().forEach(f -> k.append(f).append('\0'));
        k.append(headers.key()).append('\0').append(arch()).append('\0');
        k.append(clang.map(BccCompiler::identity).orElse("no clang"));
        return k.toString();
    }

    /** clang's version without running it: the file it resolves to, its size and time (a new clang changes them). */
    private static String identity(Path clang) {
        try {
            Path real = clang.toRealPath();
            BasicFileAttributes a = Files.readAttributes(real, BasicFileAttributes.class);
            return real + " " + a.size() + " " + a.lastModifiedTime().toMillis();
        } catch (IOException e) {
            return clang.toString();
        }
    }

    private List<String> command(Path clang, BccOptions options, KernelHeaders headers, Path c, Path out) {
        List<String> cmd = new ArrayList<>(List.of(clang.toString(), "-target", "bpf", "-O2", "-g", "-mcpu=v3",
                "-D__TARGET_ARCH_" + arch(), "-D__BPF4J_BCC__", "-DLINUX_VERSION_CODE=" + linuxVersionCode(),
                "-I", headers.dir().toString()));
        for (Path d : options.includeDirs()) cmd.addAll(List.of("-I", d.toAbsolutePath().toString()));
        options.defines().forEach((n, v) -> cmd.add("-D" + n + (v == null || v.isEmpty() ? "" : "=" + v)));
        // bcc programs are written against bcc's lenient flags: warnings are noise here, errors are reported
        cmd.addAll(List.of("-w", "-Wno-error=int-conversion", "-Wno-error=incompatible-function-pointer-types",
                "-fno-color-diagnostics", "-fno-caret-diagnostics", "-ferror-limit=20"));
        cmd.addAll(options.cflags());
        cmd.addAll(List.of("-c", c.toString(), "-o", out.toString()));
        return cmd;
    }

    /** clang's errors, one line each, at the source's own lines and columns; others (in headers) as clang says. */
    static List<String> errors(String output, String name, BccRewriter.ColumnMap columns) {
        List<String> errors = new ArrayList<>();
        for (String line : output.split("\n")) {
            Matcher m = DIAGNOSTIC.matcher(line);
            if (!m.matches()) continue;
            if (m.group(1).equals(name)) {
                BccRewriter.Position p = columns.map(Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)));
                errors.add(name + ":" + p.line() + ":" + p.col() + ": error: " + m.group(4));
            } else {
                errors.add(line.strip());
            }
        }
        if (errors.isEmpty()) {
            List<String> lines = output.lines().filter(l -> !l.isBlank()).toList();
            errors.add("clang failed on " + name + ": " + (lines.isEmpty() ? "no output"
                    : lines.get(lines.size() - 1).strip()));
        }
        return errors;
    }

    private Optional<Path> findClang() {
        for (String n : CLANG_NAMES) {
            for (Path dir : searchPath) {
                Path p = dir.resolve(n);
                if (Files.isRegularFile(p) && Files.isExecutable(p)) return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** The running kernel's version as {@code KERNEL_VERSION(a, b, c)} computes it, for version checks. */
    static int linuxVersionCode() {
        Matcher m = Pattern.compile("^(\\d+)\\.(\\d+)(?:\\.(\\d+))?").matcher(System.getProperty("os.version"));
        if (!m.find()) return 0;
        int patch = m.group(3) == null ? 0 : Integer.parseInt(m.group(3));
        return (Integer.parseInt(m.group(1)) << 16) + (Integer.parseInt(m.group(2)) << 8) + Math.min(patch, 255);
    }

    private static String arch() {
        String a = System.getProperty("os.arch");
        return a.equals("aarch64") || a.equals("arm64") ? "arm64" : "x86";
    }

    private static List<Path> splitPath(String path) {
        List<Path> dirs = new ArrayList<>();
        for (String d : path.split(File.pathSeparator)) if (!d.isEmpty()) dirs.add(Path.of(d));
        return dirs;
    }

    private static String describe(Exception e) {
        Throwable t = e instanceof UncheckedIOException u ? u.getCause() : e;
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }
}
