package io.bpf4j.bcc;

import io.bpf4j.core.BpfMap;
import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.events.BtfRecord;
import io.bpf4j.core.object.MapType;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * One map of a {@link Bcc} program, by the name its C gives it ({@code BPF_HASH(counts, …)} is
 * {@code b.get("counts")}, bcc's {@code b["counts"]}), with keys and values decoded from the object's BTF: an
 * integer as {@code Long} (unsigned 64-bit ones as their bit pattern), a {@code char[]} as {@code String}, a
 * struct as {@link BtfRecord}, other arrays as {@code List}. Keys and values are given back in the same shapes, a
 * struct also as a {@code Map} of its fields, any type as a {@code byte[]} of its size. A per-CPU map's value is a
 * {@code List} with one value per possible CPU ({@link #sum} adds them up).
 *
 * <p>The table is a view of the map: it is closed with its {@link Bcc}.
 */
public final class BccTable {
    /** bcc's {@code log2_index_max}: a log2 table has at most this many slots. */
    static final int LOG2_INDEX_MAX = 65;
    /** bcc's {@code linear_index_max}. */
    static final int LINEAR_INDEX_MAX = 1025;

    private final String name;
    private final BpfMap map;
    private final Btf btf;
    private final int keyType;
    private final int valueType;

    BccTable(String name, BpfMap map, Btf btf, int keyType, int valueType) {
        this.name = name;
        this.map = map;
        this.btf = btf;
        this.keyType = keyType;
        this.valueType = valueType;
    }

    /** The map's name in the C source. */
    public String name() {
        return name;
    }

    /** The kernel map, for what this view does not offer. */
    public BpfMap map() {
        return map;
    }

    /** One entry: a decoded key and its decoded value. */
    public record Entry(Object key, Object value) {
    }

    private boolean perCpu() {
        return map.type().isPerCpu();
    }

    /** The value of {@code key}, or empty when the map has none. */
    public Optional<Object> get(Object key) {
        byte[] k = encodeKey(key);
        if (perCpu()) return map.lookupPerCpu(k).map(this::decodePerCpu);
        return map.lookup(k).map(this::decodeValue);
    }

    /** Sets {@code key} to {@code value} (bcc's {@code b["t"][k] = v}); per-CPU maps: the same value on every CPU. */
    public void put(Object key, Object value) {
        byte[] k = encodeKey(key);
        byte[] v = BtfValues.encode(btf, valueType, map.valueSize(), value);
        if (perCpu()) {
            int cpus = io.bpf4j.core.Cpus.possibleCount();
            List<byte[]> all = new ArrayList<>(cpus);
            for (int i = 0; i < cpus; i++) all.add(v);
            map.updatePerCpu(k, all, BpfMap.ANY);
        } else {
            map.update(k, v);
        }
    }

    /** Deletes {@code key} (bcc's {@code del b["t"][k]}); false when it was not there. */
    public boolean delete(Object key) {
        return map.delete(encodeKey(key));
    }

    /** The keys, decoded. */
    public List<Object> keys() {
        return map.keys().map(this::decodeKey).toList();
    }

    /** The values, decoded, in the order of {@link #keys()}. */
    public List<Object> values() {
        return items().stream().map(Entry::value).toList();
    }

    /** Every entry (bcc's {@code items()}); an array's every slot, zeros included, as in bcc. */
    public List<Entry> items() {
        List<Entry> out = new ArrayList<>();
        if (perCpu()) {
            for (byte[] k : map.keys().toList()) {
                map.lookupPerCpu(k).ifPresent(v -> out.add(new Entry(decodeKey(k), decodePerCpu(v))));
            }
        } else {
            map.entries().forEach(e -> out.add(new Entry(decodeKey(e.getKey()), decodeValue(e.getValue()))));
        }
        return out;
    }

    /** The entries as a map from key to value, in the order {@link #items()} gives them. */
    public Map<Object, Object> asMap() {
        Map<Object, Object> m = new LinkedHashMap<>();
        for (Entry e : items()) m.put(e.key(), e.value());
        return m;
    }

    /**
     * Empties the table (bcc's {@code clear()}): deletes every key of a hash, sets every slot of an array to 0
     * (array slots cannot be deleted).
     */
    public void clear() {
        List<byte[]> keys = map.keys().toList();
        if (map.type() == MapType.ARRAY || map.type() == MapType.PERCPU_ARRAY) {
            byte[] zero = new byte[map.valueSize()];
            for (byte[] k : keys) {
                if (perCpu()) {
                    List<byte[]> all = new ArrayList<>();
                    for (int i = 0; i < io.bpf4j.core.Cpus.possibleCount(); i++) all.add(zero);
                    map.updatePerCpu(k, all, BpfMap.ANY);
                } else {
                    map.update(k, zero);
                }
            }
            return;
        }
        for (byte[] k : keys) map.delete(k);
    }

    /** The sum of a per-CPU value over all CPUs (bcc's {@code sum(key)}); a plain map's value as it is. */
    public long sum(Object key) {
        return get(key).map(BccTable::total).orElse(0L);
    }

    /** bcc's {@code print_log2_hist(val_type)} on stdout. */
    public void printLog2Hist(String valType) {
        System.out.print(log2Hist(valType, "Bucket ptr", null, false));
    }

    /** bcc's {@code print_log2_hist(val_type, section_header, section_print_fn)} on {@code out}. */
    public void printLog2Hist(PrintStream out, String valType, String sectionHeader,
                              Function<Object, String> sectionPrint) {
        out.print(log2Hist(valType, sectionHeader, sectionPrint, false));
        out.flush();
    }

    /** bcc's {@code print_linear_hist(val_type)} on stdout. */
    public void printLinearHist(String valType) {
        System.out.print(linearHist(valType, "Bucket ptr", null, false));
    }

    /** bcc's {@code print_linear_hist(val_type, section_header, section_print_fn)} on {@code out}. */
    public void printLinearHist(PrintStream out, String valType, String sectionHeader,
                                Function<Object, String> sectionPrint) {
        out.print(linearHist(valType, sectionHeader, sectionPrint, false));
        out.flush();
    }

    /**
     * The text {@code print_log2_hist} prints. The keys are slots ({@code bpf_log2l(v)} in C, as bcc's
     * {@code dist.increment(bpf_log2l(delta))}); a struct key's first field is the section and its second the slot,
     * each section printed as {@code "\n" + sectionHeader + " = " + section} then its histogram, as bcc does.
     *
     * @param sectionPrint formats a section's value ({@code null}: as bcc's {@code %r}: numbers as they are,
     *                     strings as {@code b'…'})
     * @param stripLeadingZero leaves out the empty slots before the first non-empty one
     */
    public String log2Hist(String valType, String sectionHeader, Function<Object, String> sectionPrint,
                           boolean stripLeadingZero) {
        return hist(valType, sectionHeader, sectionPrint, LOG2_INDEX_MAX,
                vals -> BccHistogram.log2(vals, valType, stripLeadingZero));
    }

    /** The text {@code print_linear_hist} prints: as {@link #log2Hist}, key {@code i} counting value {@code i}. */
    public String linearHist(String valType, String sectionHeader, Function<Object, String> sectionPrint,
                             boolean stripLeadingZero) {
        return hist(valType, sectionHeader, sectionPrint, LINEAR_INDEX_MAX,
                vals -> BccHistogram.linear(vals, valType, stripLeadingZero));
    }

    private String hist(String valType, String sectionHeader, Function<Object, String> sectionPrint, int max,
                        Function<long[], String> print) {
        List<Entry> items = items();
        if (items.isEmpty() || !(items.getFirst().key() instanceof BtfRecord)) {
            long[] vals = new long[max];
            for (Entry e : items) {
                long slot = ((Number) e.key()).longValue();
                if (slot >= 0 && slot < max) vals[(int) slot] = total(e.value());
            }
            return print.apply(vals);
        }
        Map<Object, long[]> sections = new LinkedHashMap<>();
        for (Entry e : items) {
            BtfRecord k = (BtfRecord) e.key();
            List<String> fields = k.fieldNames();
            Object section = k.get(fields.get(0));
            long slot = k.getLong(fields.get(1));
            long[] vals = sections.computeIfAbsent(section, s -> new long[max]);
            if (slot >= 0 && slot < max) vals[(int) slot] = total(e.value());
        }
        StringBuilder sb = new StringBuilder();
        String nl = System.lineSeparator();
        for (Map.Entry<Object, long[]> s : sections.entrySet()) {
            String shown = sectionPrint != null ? sectionPrint.apply(s.getKey()) : repr(s.getKey());
            sb.append(nl).append(sectionHeader).append(" = ").append(shown).append(nl);
            sb.append(print.apply(s.getValue()));
        }
        return sb.toString();
    }

    /** Python's {@code %r} of what bcc's ctypes give: numbers as they are, {@code char[]} as a bytes literal. */
    private static String repr(Object v) {
        return v instanceof String s ? "b'" + s + "'" : String.valueOf(v);
    }

    private static long total(Object value) {
        if (value instanceof Number n) return n.longValue();
        if (value instanceof List<?> perCpu) {
            long sum = 0;
            for (Object o : perCpu) sum += total(o);
            return sum;
        }
        throw new IllegalArgumentException("a histogram's values are counts, not " + value);
    }

    private byte[] encodeKey(Object key) {
        return BtfValues.encode(btf, keyType, map.keySize(), key);
    }

    private Object decodeKey(byte[] k) {
        return BtfValues.decode(btf, keyType, k);
    }

    private Object decodeValue(byte[] v) {
        return BtfValues.decode(btf, valueType, v);
    }

    private Object decodePerCpu(List<byte[]> values) {
        return values.stream().map(this::decodeValue).toList();
    }

    @Override
    public String toString() {
        return "table '" + name + "' (" + map.type() + ")";
    }
}
