package io.bpf4j.cli;

import io.bpf4j.core.BpfMap;
import io.bpf4j.core.KernelObjects;
import io.bpf4j.core.MapInfo;
import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.error.Errno;
import io.bpf4j.core.events.BtfRecord;
import io.bpf4j.core.events.RecordDecoder;
import io.bpf4j.core.kernel.LoadedBtf;
import io.bpf4j.output.Json;
import io.bpf4j.output.JsonLinesSink;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code bpf4j map list|show|dump|lookup|update|delete}: the kernel's maps, as {@code bpftool map} shows and edits
 * them. Keys and values are given as bpftool takes them — bytes, decimal or {@code 0x} hex, or {@code hex} then
 * hex bytes — and printed decoded with the map's BTF when it has one, else as hex bytes.
 */
@Command(name = "map", mixinStandardHelpOptions = true,
        description = "List, dump, look up, update and delete entries of BPF maps (as bpftool map).",
        subcommands = {MapCommand.ListMaps.class, MapCommand.Show.class, MapCommand.Dump.class,
                MapCommand.Lookup.class, MapCommand.Update.class, MapCommand.Delete.class})
public final class MapCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code map list}. */
    @Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true,
            description = "List every map: id, type, name, flags, key and value sizes, entries, BTF.")
    static final class ListMaps implements Runnable {
        @Spec
        CommandSpec spec;

        @Option(names = "--json", description = "One JSON object per map.")
        boolean json;

        @Override
        public void run() {
            for (int id : KernelObjects.mapIds()) {
                try (BpfMap m = BpfMap.fromId(id)) {
                    show(spec.commandLine().getOut(), m.info(), json);
                } catch (BpfException e) {
                    if (e.errnoCode() != Errno.ENOENT.code()) throw e; // gone since the listing
                }
            }
        }
    }

    /** {@code map show ID}. */
    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one map.")
    static final class Show implements Runnable {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "ID", description = "The map's id (see map list).")
        int id;

        @Option(names = "--json", description = "As a JSON object.")
        boolean json;

        @Override
        public void run() {
            try (BpfMap m = BpfMap.fromId(id)) {
                show(spec.commandLine().getOut(), m.info(), json);
            }
        }
    }

    static void show(PrintWriter out, MapInfo info, boolean json) {
        String type = info.type().name().toLowerCase(Locale.ROOT);
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", info.id());
            m.put("type", type);
            m.put("name", info.name());
            m.put("flags", info.flags());
            m.put("bytes_key", info.keySize());
            m.put("bytes_value", info.valueSize());
            m.put("max_entries", info.maxEntries());
            m.put("btf_id", info.btfId());
            out.println(Json.write(m));
            return;
        }
        out.printf("%d: %s  name %s  flags 0x%x%n", info.id(), type, info.name(), info.flags());
        out.printf("\tkey %dB  value %dB  max_entries %d%n", info.keySize(), info.valueSize(), info.maxEntries());
        if (info.btfId() != 0) out.printf("\tbtf_id %d%n", info.btfId());
    }

    /** {@code map dump ID}. */
    @Command(name = "dump", mixinStandardHelpOptions = true,
            description = "Print every entry, decoded with the map's BTF when it has one.")
    static final class Dump implements Runnable {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "ID", description = "The map's id.")
        int id;

        @Option(names = "--json", description = "One JSON object per entry.")
        boolean json;

        @Override
        public void run() {
            PrintWriter out = spec.commandLine().getOut();
            try (BpfMap m = BpfMap.fromId(id)) {
                Types types = Types.of(m.info());
                if (!m.type().canIterate() || !m.type().canLookup()) {
                    throw new ParameterException(spec.commandLine(), "map " + id + " is a "
                            + m.type().name().toLowerCase(Locale.ROOT) + ": its entries cannot be read from user space");
                }
                long[] n = {0};
                m.entries().forEach(e -> {
                    n[0]++;
                    print(out, types, e.getKey(), e.getValue(), json);
                });
                if (!json) out.printf("Found %d element%s%n", n[0], n[0] == 1 ? "" : "s");
            }
        }
    }

    /** {@code map lookup ID key BYTES}. */
    @Command(name = "lookup", mixinStandardHelpOptions = true, description = "Print the value of one key.")
    static final class Lookup implements Runnable {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "ID", description = "The map's id.")
        int id;

        @Parameters(index = "1..*", paramLabel = "key BYTES", description = "key [hex] BYTES…")
        List<String> words;

        @Option(names = "--json", description = "As a JSON object.")
        boolean json;

        @Override
        public void run() {
            try (BpfMap m = BpfMap.fromId(id)) {
                Map<String, byte[]> kv = KeyValue.parse(spec, words, m.info(), false);
                Optional<byte[]> v = m.lookup(kv.get("key"));
                if (v.isEmpty()) throw new BpfException("map lookup", Errno.ENOENT.code(), "map " + id + " has no "
                        + "entry for key " + HexFormat.ofDelimiter(" ").formatHex(kv.get("key")));
                print(spec.commandLine().getOut(), Types.of(m.info()), kv.get("key"), v.get(), json);
            }
        }
    }

    /** {@code map update ID key BYTES value BYTES}. */
    @Command(name = "update", mixinStandardHelpOptions = true, description = "Create or replace one entry.")
    static final class Update implements Runnable {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "ID", description = "The map's id.")
        int id;

        @Parameters(index = "1..*", paramLabel = "key BYTES value BYTES", description = "key [hex] BYTES… value [hex] BYTES…")
        List<String> words;

        @Override
        public void run() {
            try (BpfMap m = BpfMap.fromId(id)) {
                Map<String, byte[]> kv = KeyValue.parse(spec, words, m.info(), true);
                m.update(kv.get("key"), kv.get("value"));
            }
        }
    }

    /** {@code map delete ID key BYTES}. */
    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete one entry.")
    static final class Delete implements Runnable {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "ID", description = "The map's id.")
        int id;

        @Parameters(index = "1..*", paramLabel = "key BYTES", description = "key [hex] BYTES…")
        List<String> words;

        @Override
        public void run() {
            try (BpfMap m = BpfMap.fromId(id)) {
                Map<String, byte[]> kv = KeyValue.parse(spec, words, m.info(), false);
                if (!m.delete(kv.get("key"))) {
                    throw new BpfException("map delete", Errno.ENOENT.code(), "map " + id + " has no entry for key "
                            + HexFormat.ofDelimiter(" ").formatHex(kv.get("key")));
                }
            }
        }
    }

    /** The map's BTF key and value types, when it has them. */
    record Types(Btf btf, int key, int value) {
        static Types of(MapInfo info) {
            if (info.btfId() == 0 || info.btfValueTypeId() == 0) return new Types(null, 0, 0);
            try (LoadedBtf loaded = LoadedBtf.fromId(info.btfId())) {
                return new Types(Btf.parse(loaded.data()), info.btfKeyTypeId(), info.btfValueTypeId());
            }
        }

        Object decode(int type, byte[] bytes) {
            if (btf == null || type == 0) return HexFormat.ofDelimiter(" ").formatHex(bytes);
            Object v = RecordDecoder.decodeValue(btf, type, MemorySegment.ofArray(bytes));
            return v instanceof BtfRecord r ? JsonLinesSink.fields(r) : v;
        }
    }

    static void print(PrintWriter out, Types types, byte[] key, byte[] value, boolean json) {
        Object k = types.decode(types.key(), key), v = types.decode(types.value(), value);
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("key", k);
            m.put("value", v);
            out.println(Json.write(m));
        } else {
            out.println("key: " + k + "  value: " + v);
        }
    }

    /** bpftool's {@code key [hex] BYTES… value [hex] BYTES…} words. */
    static final class KeyValue {
        private KeyValue() {
        }

        static Map<String, byte[]> parse(CommandSpec spec, List<String> words, MapInfo info, boolean needValue) {
            Map<String, byte[]> out = new LinkedHashMap<>();
            int i = 0;
            for (String part : needValue ? List.of("key", "value") : List.of("key")) {
                if (i >= words.size() || !words.get(i).equals(part)) {
                    throw new ParameterException(spec.commandLine(), "expected '" + part + "' followed by its bytes, "
                            + "e.g. " + part + " 0x01 0 0 0 or " + part + " hex 01 00 00 00");
                }
                i++;
                boolean hex = i < words.size() && words.get(i).equals("hex");
                if (hex) i++;
                List<Byte> bytes = new ArrayList<>();
                while (i < words.size() && !words.get(i).equals("value")) {
                    String w = words.get(i++);
                    int b = hex ? Integer.parseInt(w, 16) : w.startsWith("0x") ? Integer.parseInt(w.substring(2), 16)
                            : Integer.parseInt(w);
                    if (b < 0 || b > 255) throw new ParameterException(spec.commandLine(), "'" + w + "' is not a byte");
                    bytes.add((byte) b);
                }
                int size = part.equals("key") ? info.keySize() : info.valueSize();
                if (bytes.size() != size) {
                    throw new ParameterException(spec.commandLine(), "map " + info.id() + " has " + size + "-byte "
                            + part + "s; " + bytes.size() + " byte(s) given");
                }
                byte[] b = new byte[size];
                for (int j = 0; j < size; j++) b[j] = bytes.get(j);
                out.put(part, b);
            }
            return out;
        }
    }
}
