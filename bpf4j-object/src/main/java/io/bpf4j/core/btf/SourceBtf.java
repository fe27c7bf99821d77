package io.bpf4j.core.btf;

import java.util.ArrayList;
import java.util.List;

/**
 * The BTF a compiler that generates BPF itself (not through clang) gives a program so that the kernel knows its
 * source, as {@code clang -g} does for C: one function ({@code int NAME(void *ctx)}) and the source line of runs
 * of its instructions. Loaded with the program ({@code func_info} for slot 0 and {@code line_info}), it makes the
 * verifier's log quote the source lines, and lets a rejection be traced to the line and column it is about.
 *
 * <pre>{@code
 * SourceBtf btf = SourceBtf.of("BEGIN", "script.bt", List.of(new SourceBtf.Line(0, 1, 1, "BEGIN { … }")));
 * try (LoadedBtf loaded = LoadedBtf.load(btf.raw())) {
 *     spec = spec.withBtf(loaded.fd()).withFuncInfo(List.of(new FuncInfo(0, btf.functionTypeId())))
 *             .withLineInfo(btf.lineInfo());
 * }
 * }</pre>
 *
 * @param raw            the BTF bytes (native byte order), for BPF_BTF_LOAD
 * @param functionTypeId the id of the program's FUNC type, for its {@code func_info}
 * @param lineInfo       the line info records, by instruction slot (not bytes), ascending, strings in {@code raw}
 */
public record SourceBtf(byte[] raw, int functionTypeId, List<BtfExt.LineInfo> lineInfo) {
    /** The largest column {@code bpf_line_info} can hold (10 bits). */
    public static final int MAX_COLUMN = 0x3ff;
    private static final int FUNCTION_ID = 4;

    public SourceBtf {
        raw = raw.clone();
        lineInfo = List.copyOf(lineInfo);
    }

    /** The BTF bytes (a copy). */
    @Override
    public byte[] raw() {
        return raw.clone();
    }

    /**
     * Where a run of instructions comes from.
     *
     * @param slot   the first instruction's slot
     * @param line   the 1-based source line
     * @param column the 1-based column (larger than {@link #MAX_COLUMN}: recorded as 0, unknown)
     * @param text   the source line's text
     */
    public record Line(int slot, int line, int column, String text) {
    }

    /**
     * The BTF of a program called {@code function}, whose source is called {@code fileName}.
     *
     * @param lines where its instructions come from, by ascending slot; the first at slot 0 (the kernel wants
     *              one there); of several lines at one slot the last counts
     * @throws IllegalArgumentException when the lines are not ascending or the first is not at slot 0
     */
    public static SourceBtf of(String function, String fileName, List<Line> lines) {
        List<Line> distinct = new ArrayList<>();
        for (Line l : lines) {
            if (!distinct.isEmpty() && distinct.getLast().slot() > l.slot()) {
                throw new IllegalArgumentException("lines must be by ascending slot: " + l.slot() + " after "
                        + distinct.getLast().slot());
            }
            if (!distinct.isEmpty() && distinct.getLast().slot() == l.slot()) distinct.removeLast();
            distinct.add(l);
        }
        if (distinct.isEmpty() || distinct.getFirst().slot() != 0) {
            throw new IllegalArgumentException("the first line must be at slot 0");
        }
        List<BtfType> types = List.of(
                new BtfType.Int("int", 4, 1, 0, 32),                                   // [1] int (signed)
                new BtfType.Ptr(0),                                                    // [2] void *
                new BtfType.FuncProto(1, List.of(new BtfType.Param("ctx", 2)), false), // [3] int (void *ctx)
                new BtfType.Func(function, 3, Linkage.STATIC));                        // [4]
        List<String> strings = new ArrayList<>();
        strings.add(fileName);
        for (Line l : distinct) strings.add(l.text());
        int[] offsets = new int[strings.size()];
        byte[] raw = BtfWriter.encode(types, strings, offsets);
        List<BtfExt.LineInfo> info = new ArrayList<>(distinct.size());
        for (int i = 0; i < distinct.size(); i++) {
            Line l = distinct.get(i);
            int column = l.column() > MAX_COLUMN || l.column() < 0 ? 0 : l.column();
            info.add(new BtfExt.LineInfo(l.slot(), offsets[0], offsets[i + 1], l.line() << 10 | column, fileName,
                    l.text()));
        }
        return new SourceBtf(raw, FUNCTION_ID, info);
    }
}
