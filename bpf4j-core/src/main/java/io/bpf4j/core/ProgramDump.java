package io.bpf4j.core;

import io.bpf4j.core.asm.Instructions;
import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.btf.BtfExt;
import io.bpf4j.core.kernel.LoadedBtf;
import io.bpf4j.core.internal.Bpf;
import io.bpf4j.core.internal.BpfAttr.ProgInfo;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A loaded program as the kernel holds it, what {@code bpftool prog dump xlated} shows: the instructions after the
 * verifier rewrote them (map references as {@code map[id:N]}), the ids of the maps it uses, and its line info
 * resolved against its BTF — the C source line of each instruction that starts one.
 *
 * @param xlated   the rewritten instructions
 * @param mapIds   the ids of the maps the program uses
 * @param lineInfo the line info records with their file names and source lines (empty without BTF)
 */
public record ProgramDump(Instructions xlated, List<Integer> mapIds, List<BtfExt.LineInfo> lineInfo) {
    public ProgramDump {
        mapIds = List.copyOf(mapIds);
        lineInfo = List.copyOf(lineInfo);
    }

    /**
     * Reads the dump of {@code program} (BPF_OBJ_GET_INFO_BY_FD, twice: once for the sizes, once with buffers).
     * Instructions are only shown to a caller with CAP_SYS_ADMIN or CAP_PERFMON (root here).
     */
    public static ProgramDump of(Program program) {
        ProgramInfo info = program.info();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment head = arena.allocate(ProgInfo.SIZE, 8);
            Bpf.objInfo(program.fd(), head, arena);
            int xlatedLen = head.get(JAVA_INT, ProgInfo.XLATED_PROG_LEN);
            int maps = head.get(JAVA_INT, ProgInfo.NR_MAP_IDS);
            int lines = head.get(JAVA_INT, ProgInfo.NR_LINE_INFO);
            int lineRec = head.get(JAVA_INT, ProgInfo.LINE_INFO_REC_SIZE);
            MemorySegment insns = arena.allocate(Math.max(8, xlatedLen), 8);
            MemorySegment mapIds = arena.allocate(4L * Math.max(1, maps), 8);
            MemorySegment lineInfo = arena.allocate((long) Math.max(1, lines) * Math.max(16, lineRec), 8);
            MemorySegment full = arena.allocate(ProgInfo.SIZE, 8);
            full.set(JAVA_INT, ProgInfo.XLATED_PROG_LEN, xlatedLen);
            full.set(JAVA_LONG, ProgInfo.XLATED_PROG_INSNS, insns.address());
            full.set(JAVA_INT, ProgInfo.NR_MAP_IDS, maps);
            full.set(JAVA_LONG, ProgInfo.MAP_IDS, mapIds.address());
            full.set(JAVA_INT, ProgInfo.NR_LINE_INFO, lines);
            full.set(JAVA_INT, ProgInfo.LINE_INFO_REC_SIZE, lineRec);
            full.set(JAVA_LONG, ProgInfo.LINE_INFO, lineInfo.address());
            Bpf.objInfo(program.fd(), full, arena);
            if (xlatedLen > 0 && full.get(JAVA_LONG, ProgInfo.XLATED_PROG_INSNS) == 0) {
                throw new BpfException("BPF_OBJ_GET_INFO_BY_FD", 1, "the kernel withheld the instructions of "
                        + "program " + info.id() + ": showing them needs CAP_PERFMON or CAP_SYS_ADMIN (run as root)");
            }
            Instructions code = Instructions.decode(insns.asSlice(0, xlatedLen).toArray(JAVA_BYTE));
            List<Integer> ids = new ArrayList<>();
            for (int i = 0; i < maps; i++) ids.add(mapIds.getAtIndex(JAVA_INT, i));
            return new ProgramDump(code, ids, lines(info.btfId(), lineInfo, lines, lineRec));
        }
    }

    /** The line info records, with names and source lines read from the program's BTF. */
    private static List<BtfExt.LineInfo> lines(int btfId, MemorySegment records, int count, int recSize) {
        if (btfId == 0 || count == 0) return List.of();
        Btf btf;
        try (LoadedBtf loaded = LoadedBtf.fromId(btfId)) {
            btf = Btf.parse(loaded.data());
        }
        List<BtfExt.LineInfo> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long base = (long) i * recSize;
            int insnOff = records.get(JAVA_INT, base);
            int fileOff = records.get(JAVA_INT, base + 4);
            int lineOff = records.get(JAVA_INT, base + 8);
            int lineCol = records.get(JAVA_INT, base + 12);
            // The kernel counts instructions where .BTF.ext counts bytes.
            out.add(new BtfExt.LineInfo(insnOff * 8, fileOff, lineOff, lineCol, btf.string(fileOff),
                    btf.string(lineOff)));
        }
        return out;
    }

    /** The line info record that starts at instruction slot {@code slot}, if any. */
    public Optional<BtfExt.LineInfo> lineAt(int slot) {
        for (BtfExt.LineInfo l : lineInfo) if (l.insnIndex() == slot) return Optional.of(l);
        return Optional.empty();
    }
}
