package io.bpf4j.core.btf;

import java.util.ArrayList;
import java.util.List;

/**
 * The BTF a compiler that generates BPF itself (not through clang) gives its programs so that the kernel knows
 * their source, as {@code clang -g} does for C: a function ({@code int NAME(void *ctx)}) per program and the
 * source line of runs of its instructions, in one BTF for all of them. Loaded with each program ({@code func_info}
 * for slot 0 and {@code line_info}), it makes the verifier's log quote the source lines, and lets a rejection be
 * traced to the line and column it is about.
 *
 * <pre>{@code
 * SourceBtf btf = SourceBtf.of("script.bt", List.of(new SourceBtf.Function("BEGIN",
 *         List.of(new SourceBtf.Line(0, 1, 1, "BEGIN { … }")))));
 * try (LoadedBtf loaded = LoadedBtf.load(btf.raw())) {
 *     spec = spec.withBtf(loaded.fd()).withFuncInfo(List.of(new FuncInfo(0, btf.functionTypeIds().get(0))))
 *             .withLineInfo(btf.lineInfo().get(0));
 * }
 * }</pre>
 *
 * @param raw             the BTF bytes (native byte order), for BPF_BTF_LOAD
 * @param functionTypeIds the id of each function's FUNC type, for its program's {@code func_info}
 * @param lineInfo        each function's line info records, by instruction slot (not bytes), ascending, strings
 *                        in {@code raw}
 */
public record SourceBtf(byte[] raw, List<Integer> functionTypeIds, List<List<BtfExt.LineInfo>> lineInfo) {
    /** The largest column {@code bpf_line_info} can hold (10 bits). */
    public static final int MAX_COLUMN = 0x3ff;
    /** [1] int, [2] void *, [3] int (void *ctx); the functions follow. */
    private static final int FIRST_FUNCTION_ID = 4;

    public SourceBtf {
        raw = raw.clone();
        functionTypeIds = List.copyOf(functionTypeIds);
        lineInfo = lineInfo.stream().map(List::copyOf).toList();
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
     * A program.
     *
     * @param name  its name, the FUNC's
     * @param lines where its instructions come from, by ascending slot; the first at slot 0 (the kernel wants one
     *              there); of several lines at one slot the last counts
     */
    public record Function(String name, List<Line> lines) {
        public Function {
            lines = List.copyOf(lines);
        }
    }

    /**
     * The BTF of {@code functions}, whose source is called {@code fileName}.
     *
     * @throws IllegalArgumentException when a function's lines are not ascending or its first is not at slot 0
     */
    public static SourceBtf of(String fileName, List<Function> functions) {
        List<BtfType> types = new ArrayList<>(List.of(
                new BtfType.Int("int", 4, 1, 0, 32),                                     // [1] int (signed)
                new BtfType.Ptr(0),                                                      // [2] void *
                new BtfType.FuncProto(1, List.of(new BtfType.Param("ctx", 2)), false))); // [3] int (void *ctx)
        List<String> strings = new ArrayList<>();
        strings.add(fileName);
        List<List<Line>> distinct = new ArrayList<>();
        List<Integer> ids = new ArrayList<>();
        for (Function f : functions) {
            ids.add(FIRST_FUNCTION_ID + ids.size());
            types.add(new BtfType.Func(f.name(), 3, Linkage.STATIC));
            List<Line> lines = distinct(f);
            distinct.add(lines);
            for (Line l : lines) strings.add(l.text());
        }
        int[] offsets = new int[strings.size()];
        byte[] raw = BtfWriter.encode(types, strings, offsets);
        List<List<BtfExt.LineInfo>> info = new ArrayList<>();
        int next = 1;
        for (List<Line> lines : distinct) {
            List<BtfExt.LineInfo> records = new ArrayList<>(lines.size());
            for (Line l : lines) {
                int column = l.column() > MAX_COLUMN || l.column() < 0 ? 0 : l.column();
                records.add(new BtfExt.LineInfo(l.slot(), offsets[0], offsets[next++], l.line() << 10 | column,
                        fileName, l.text()));
            }
            info.add(records);
        }
        return new SourceBtf(raw, ids, info);
    }

    /** {@code f}'s lines, one per slot. */
    private static List<Line> distinct(Function f) {
        List<Line> out = new ArrayList<>();
        for (Line l : f.lines()) {
            if (!out.isEmpty() && out.getLast().slot() > l.slot()) {
                throw new IllegalArgumentException(f.name() + ": lines must be by ascending slot: " + l.slot()
                        + " after " + out.getLast().slot());
            }
            if (!out.isEmpty() && out.getLast().slot() == l.slot()) out.removeLast();
            out.add(l);
        }
        if (out.isEmpty() || out.getFirst().slot() != 0) {
            throw new IllegalArgumentException(f.name() + ": the first line must be at slot 0");
        }
        return out;
    }
}
