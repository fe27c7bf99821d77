package io.bpf4j.core.features;

import io.bpf4j.core.AttachType;
import io.bpf4j.core.Errno;
import io.bpf4j.core.ProgramType;
import io.bpf4j.core.sys.Bpf;
import io.bpf4j.core.sys.BpfAttr;
import io.bpf4j.core.sys.BpfCommand;
import io.bpf4j.core.sys.LibC;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The raw kernel calls the probes make: each returns a file descriptor or {@code -errno} (and the verifier log),
 * never throws, because for a probe a refusal is an answer.
 */
final class Sys {
    private static final int LOG_SIZE = 64 * 1024;
    private static final int MAX_LOG = 16 << 20;

    private Sys() {
    }

    /** What a probe load gave: a file descriptor ({@code >= 0}) or {@code -errno}, and the verifier log. */
    record Loaded(int fd, String log) {
        boolean ok() {
            return fd >= 0;
        }

        int errno() {
            return fd < 0 ? -fd : 0;
        }

        /** Closes the program if it loaded. */
        void close() {
            if (fd >= 0) LibC.close(fd);
        }
    }

    /** A program to load: instructions and the attributes probes need. */
    record Load(ProgramType type, long[] insns, AttachType expectedAttachType, int attachBtfId, int attachProgFd,
                int btfFd, int funcInfoTypeId, String license, int flags) {
        static Load of(ProgramType type, long[] insns) {
            return new Load(type, insns, null, 0, 0, -1, 0, "GPL", 0);
        }

        Load expect(AttachType t) {
            return new Load(type, insns, t, attachBtfId, attachProgFd, btfFd, funcInfoTypeId, license, flags);
        }

        Load attachBtf(int id) {
            return new Load(type, insns, expectedAttachType, id, attachProgFd, btfFd, funcInfoTypeId, license, flags);
        }

        Load attachProg(int fd) {
            return new Load(type, insns, expectedAttachType, attachBtfId, fd, btfFd, funcInfoTypeId, license, flags);
        }

        Load funcInfo(int btf, int typeId) {
            return new Load(type, insns, expectedAttachType, attachBtfId, attachProgFd, btf, typeId, license, flags);
        }
    }

    /** BPF_PROG_LOAD with the verifier log on (level 1): the log explains a refusal. */
    static Loaded load(Load l) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment insns = arena.allocate(l.insns().length * 8L, 8);
            for (int i = 0; i < l.insns().length; i++) insns.setAtIndex(JAVA_LONG, i, l.insns()[i]);
            MemorySegment attr = Bpf.attr(arena);
            attr.set(JAVA_INT, BpfAttr.ProgLoad.PROG_TYPE, l.type().code());
            attr.set(JAVA_INT, BpfAttr.ProgLoad.INSN_CNT, l.insns().length);
            attr.set(JAVA_LONG, BpfAttr.ProgLoad.INSNS, insns.address());
            attr.set(JAVA_LONG, BpfAttr.ProgLoad.LICENSE, arena.allocateFrom(l.license()).address());
            attr.set(JAVA_INT, BpfAttr.ProgLoad.PROG_FLAGS, l.flags());
            byte[] name = "bpf4j_probe".getBytes(StandardCharsets.US_ASCII);
            MemorySegment.copy(name, 0, attr, JAVA_BYTE, BpfAttr.ProgLoad.PROG_NAME, name.length);
            if (l.expectedAttachType() != null) {
                attr.set(JAVA_INT, BpfAttr.ProgLoad.EXPECTED_ATTACH_TYPE, l.expectedAttachType().code());
            }
            attr.set(JAVA_INT, BpfAttr.ProgLoad.ATTACH_BTF_ID, l.attachBtfId());
            attr.set(JAVA_INT, BpfAttr.ProgLoad.ATTACH_PROG_FD, l.attachProgFd());
            if (l.btfFd() >= 0) {
                attr.set(JAVA_INT, BpfAttr.ProgLoad.PROG_BTF_FD, l.btfFd());
                if (l.funcInfoTypeId() > 0) {
                    MemorySegment fi = arena.allocate(8, 4);
                    fi.set(JAVA_INT, 0, 0); // insn_off
                    fi.set(JAVA_INT, 4, l.funcInfoTypeId());
                    attr.set(JAVA_INT, BpfAttr.ProgLoad.FUNC_INFO_REC_SIZE, 8);
                    attr.set(JAVA_LONG, BpfAttr.ProgLoad.FUNC_INFO, fi.address());
                    attr.set(JAVA_INT, BpfAttr.ProgLoad.FUNC_INFO_CNT, 1);
                }
            }
            int size = LOG_SIZE;
            while (true) {
                MemorySegment log = arena.allocate(size);
                attr.set(JAVA_INT, BpfAttr.ProgLoad.LOG_LEVEL, 1);
                attr.set(JAVA_INT, BpfAttr.ProgLoad.LOG_SIZE, size);
                attr.set(JAVA_LONG, BpfAttr.ProgLoad.LOG_BUF, log.address());
                int fd = Bpf.tryCall(BpfCommand.PROG_LOAD, attr);
                if (fd == -Errno.ENOSPC.code() && size < MAX_LOG) {
                    size *= 8;
                    continue;
                }
                return new Loaded(fd, log.getString(0, StandardCharsets.UTF_8));
            }
        }
    }

    /** BPF_MAP_CREATE; fd or {@code -errno}. */
    static int createMap(int type, int keySize, int valueSize, int maxEntries, int flags, int innerMapFd,
                         int btfFd, int btfKeyTypeId, int btfValueTypeId, int vmlinuxValueTypeId) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = Bpf.attr(arena);
            attr.set(JAVA_INT, BpfAttr.MapCreate.MAP_TYPE, type);
            attr.set(JAVA_INT, BpfAttr.MapCreate.KEY_SIZE, keySize);
            attr.set(JAVA_INT, BpfAttr.MapCreate.VALUE_SIZE, valueSize);
            attr.set(JAVA_INT, BpfAttr.MapCreate.MAX_ENTRIES, maxEntries);
            attr.set(JAVA_INT, BpfAttr.MapCreate.MAP_FLAGS, flags);
            attr.set(JAVA_INT, BpfAttr.MapCreate.INNER_MAP_FD, innerMapFd);
            byte[] name = "bpf4j_probe".getBytes(StandardCharsets.US_ASCII);
            MemorySegment.copy(name, 0, attr, JAVA_BYTE, BpfAttr.MapCreate.MAP_NAME, name.length);
            if (btfFd >= 0) {
                attr.set(JAVA_INT, BpfAttr.MapCreate.BTF_FD, btfFd);
                attr.set(JAVA_INT, BpfAttr.MapCreate.BTF_KEY_TYPE_ID, btfKeyTypeId);
                attr.set(JAVA_INT, BpfAttr.MapCreate.BTF_VALUE_TYPE_ID, btfValueTypeId);
            }
            attr.set(JAVA_INT, BpfAttr.MapCreate.BTF_VMLINUX_VALUE_TYPE_ID, vmlinuxValueTypeId);
            return Bpf.tryCall(BpfCommand.MAP_CREATE, attr);
        }
    }

    /** A plain map without BTF; fd or {@code -errno}. */
    static int createMap(int type, int keySize, int valueSize, int maxEntries, int flags) {
        return createMap(type, keySize, valueSize, maxEntries, flags, 0, -1, 0, 0, 0);
    }

    /** BPF_BTF_LOAD; fd or {@code -errno}. */
    static int loadBtf(byte[] raw) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocateFrom(JAVA_BYTE, raw);
            MemorySegment attr = Bpf.attr(arena);
            attr.set(JAVA_LONG, BpfAttr.BtfLoad.BTF, data.address());
            attr.set(JAVA_INT, BpfAttr.BtfLoad.BTF_SIZE, raw.length);
            return Bpf.tryCall(BpfCommand.BTF_LOAD, attr);
        }
    }

    /** BPF_LINK_CREATE with no type-specific fields; fd or {@code -errno}. */
    static int linkCreate(int progFd, int targetFd, AttachType type) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = Bpf.attr(arena);
            attr.set(JAVA_INT, BpfAttr.LinkCreate.PROG_FD, progFd);
            attr.set(JAVA_INT, BpfAttr.LinkCreate.TARGET_FD, targetFd);
            attr.set(JAVA_INT, BpfAttr.LinkCreate.ATTACH_TYPE, type.code());
            return Bpf.tryCall(BpfCommand.LINK_CREATE, attr);
        }
    }

    /** BPF_LINK_CREATE for kprobe_multi on the named kernel functions; fd or {@code -errno}. */
    static int kprobeMulti(int progFd, String... symbols) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment syms = arena.allocate(8L * symbols.length, 8);
            for (int i = 0; i < symbols.length; i++) {
                syms.setAtIndex(JAVA_LONG, i, arena.allocateFrom(symbols[i]).address());
            }
            MemorySegment attr = Bpf.attr(arena);
            attr.set(JAVA_INT, BpfAttr.LinkCreate.PROG_FD, progFd);
            attr.set(JAVA_INT, BpfAttr.LinkCreate.ATTACH_TYPE, AttachType.TRACE_KPROBE_MULTI.code());
            attr.set(JAVA_INT, BpfAttr.LinkCreate.KPROBE_MULTI_CNT, symbols.length);
            attr.set(JAVA_LONG, BpfAttr.LinkCreate.KPROBE_MULTI_SYMS, syms.address());
            return Bpf.tryCall(BpfCommand.LINK_CREATE, attr);
        }
    }

    /** BPF_RAW_TRACEPOINT_OPEN; {@code name} null for a BTF-typed (tp_btf) program. Link fd or {@code -errno}. */
    static int rawTracepointOpen(String name, int progFd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = Bpf.attr(arena);
            if (name != null) attr.set(JAVA_LONG, BpfAttr.RawTracepoint.NAME, arena.allocateFrom(name).address());
            attr.set(JAVA_INT, BpfAttr.RawTracepoint.PROG_FD, progFd);
            return Bpf.tryCall(BpfCommand.RAW_TRACEPOINT_OPEN, attr);
        }
    }

    /** Closes {@code fd} if it is one. */
    static void close(int fd) {
        if (fd >= 0) LibC.close(fd);
    }
}
