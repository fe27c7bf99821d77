package io.bpf4j.core;

import io.bpf4j.core.asm.Instructions;
import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.btf.BtfExt;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.internal.Bpf;
import io.bpf4j.core.kernel.LoadedBtf;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

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
        Bpf.ProgXlated dump = Bpf.progXlated(program.fd(), Bpf.progInfo(program.fd()));
        if (dump.xlated() == null) {
            throw new BpfException("BPF_OBJ_GET_INFO_BY_FD", 1, "the kernel withheld the instructions of "
                    + "program " + info.id() + ": showing them needs CAP_PERFMON or CAP_SYS_ADMIN (run as root)");
        }
        Instructions code = Instructions.decode(dump.xlated());
        List<Integer> ids = new ArrayList<>();
        for (int id : dump.mapIds()) ids.add(id);
        return new ProgramDump(code, ids, lines(info.btfId(), dump.lineInfo()));
    }

    /** The line info records, with names and source lines read from the program's BTF. */
    private static List<BtfExt.LineInfo> lines(int btfId, int[] records) {
        int count = records.length / 4;
        if (btfId == 0 || count == 0) return List.of();
        Btf btf;
        try (LoadedBtf loaded = LoadedBtf.fromId(btfId)) {
            btf = Btf.parse(loaded.data());
        }
        List<BtfExt.LineInfo> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int insnOff = records[4 * i], fileOff = records[4 * i + 1], lineOff = records[4 * i + 2];
            int lineCol = records[4 * i + 3];
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
