package io.bpf4j.core.kernel;

import io.bpf4j.core.BpfException;
import io.bpf4j.core.Errno;
import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.internal.Bpf;
import io.bpf4j.core.internal.BpfAttr;
import io.bpf4j.core.internal.BpfCommand;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * BTF type information loaded into the kernel (BPF_BTF_LOAD), so maps and programs can refer to its types by
 * id: map key/value types (what lets bpftool print map contents as structs) and program func/line info.
 */
public final class LoadedBtf implements AutoCloseable {
    private static final int MAX_LOG = 1 << 24;

    private final Fd fd;

    private LoadedBtf(int fd) {
        this.fd = Fd.adopt(fd);
    }

    /**
     * Loads raw BTF (header, types, strings — the content of a .BTF section). When the kernel rejects it, the
     * exception carries the kernel's BTF log, which names the offending type.
     */
    public static LoadedBtf load(byte[] raw) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocateFrom(JAVA_BYTE, raw);
            MemorySegment attr = Bpf.attr(arena);
            attr.set(JAVA_LONG, BpfAttr.BtfLoad.BTF, data.address());
            attr.set(JAVA_INT, BpfAttr.BtfLoad.BTF_SIZE, raw.length);
            int fd = Bpf.tryCall(BpfCommand.BTF_LOAD, attr);
            if (fd >= 0) return new LoadedBtf(fd);
            if (-fd == Errno.EPERM.code()) throw Bpf.failure(BpfCommand.BTF_LOAD, -fd, raw.length + " bytes");
            // Load again with the log on, to say why.
            int size = 64 * 1024;
            while (true) {
                MemorySegment log = arena.allocate(size);
                attr.set(JAVA_LONG, BpfAttr.BtfLoad.BTF_LOG_BUF, log.address());
                attr.set(JAVA_INT, BpfAttr.BtfLoad.BTF_LOG_SIZE, size);
                attr.set(JAVA_INT, BpfAttr.BtfLoad.BTF_LOG_LEVEL, 1);
                fd = Bpf.tryCall(BpfCommand.BTF_LOAD, attr);
                if (fd >= 0) return new LoadedBtf(fd);
                if (-fd == Errno.ENOSPC.code() && size < MAX_LOG) {
                    size *= 4;
                    continue;
                }
                String text = log.getString(0, StandardCharsets.UTF_8).strip();
                String tail = String.join("\n  ", text.lines().skip(Math.max(0, text.lines().count() - 4)).toList());
                throw new BpfException("BPF_BTF_LOAD", -fd, Bpf.message("loading " + raw.length + " bytes of BTF",
                        -fd, text.isEmpty() ? Bpf.hint(BpfCommand.BTF_LOAD, -fd) : "the kernel's BTF log says:\n  "
                                + tail));
            }
        }
    }

    /** The raw BTF the kernel holds for this object (BPF_OBJ_GET_INFO_BY_FD), for {@link Btf#parse(byte[])}. */
    public byte[] data() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(BpfAttr.BtfInfo.SIZE, 8);
            Bpf.objInfo(fd.value(), info, arena);
            int size = info.get(JAVA_INT, BpfAttr.BtfInfo.BTF_SIZE);
            MemorySegment data = arena.allocate(Math.max(1, size));
            MemorySegment full = arena.allocate(BpfAttr.BtfInfo.SIZE, 8);
            full.set(JAVA_LONG, BpfAttr.BtfInfo.BTF, data.address());
            full.set(JAVA_INT, BpfAttr.BtfInfo.BTF_SIZE, size);
            Bpf.objInfo(fd.value(), full, arena);
            return data.asSlice(0, size).toArray(JAVA_BYTE);
        }
    }

    /** Opens the BTF object with kernel id {@code id} (BPF_BTF_GET_FD_BY_ID): vmlinux is id 1. */
    public static LoadedBtf fromId(int id) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = Bpf.attr(arena);
            attr.set(JAVA_INT, BpfAttr.GetId.ID, id);
            return new LoadedBtf(Bpf.call(BpfCommand.BTF_GET_FD_BY_ID, attr, () -> "BTF id " + id));
        }
    }

    /** The fd to pass as a map's or program's BTF. */
    public int fd() {
        return fd.value();
    }

    /** The kernel's id for this BTF object. */
    public int id() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(BpfAttr.BtfInfo.SIZE, 8);
            Bpf.objInfo(fd.value(), info, arena);
            return info.get(JAVA_INT, BpfAttr.BtfInfo.ID);
        }
    }

    @Override
    public void close() {
        fd.close();
    }
}
