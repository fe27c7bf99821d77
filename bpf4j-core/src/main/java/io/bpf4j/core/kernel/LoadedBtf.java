package io.bpf4j.core.kernel;

import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.error.Errno;
import io.bpf4j.core.internal.Bpf;
import io.bpf4j.core.internal.BpfCommand;

/**
 * BTF type information loaded into the kernel (BPF_BTF_LOAD), so maps and programs can refer to its types by
 * id: map key/value types (what lets bpftool print map contents as structs) and program func/line info.
 */
public final class LoadedBtf implements AutoCloseable {
    private final Fd fd;

    private LoadedBtf(int fd) {
        this.fd = Fd.adopt(fd);
    }

    /**
     * Loads raw BTF (header, types, strings — the content of a .BTF section). When the kernel rejects it, the
     * exception carries the kernel's BTF log, which names the offending type.
     */
    public static LoadedBtf load(byte[] raw) {
        int fd = Bpf.btfLoad(raw);
        if (fd >= 0) return new LoadedBtf(fd);
        if (-fd == Errno.EPERM.code()) throw Bpf.failure(BpfCommand.BTF_LOAD, -fd, raw.length + " bytes");
        // Load again with the log on, to say why.
        Bpf.Loaded loaded = Bpf.btfLoadWithLog(raw);
        if (loaded.fd() >= 0) return new LoadedBtf(loaded.fd());
        int errno = -loaded.fd();
        String text = loaded.log().strip();
        String tail = String.join("\n  ", text.lines().skip(Math.max(0, text.lines().count() - 4)).toList());
        throw new BpfException("BPF_BTF_LOAD", errno, Bpf.message("loading " + raw.length + " bytes of BTF",
                errno, text.isEmpty() ? Bpf.hint(BpfCommand.BTF_LOAD, errno) : "the kernel's BTF log says:\n  "
                        + tail));
    }

    /** The raw BTF the kernel holds for this object (BPF_OBJ_GET_INFO_BY_FD), for {@link Btf#parse(byte[])}. */
    public byte[] data() {
        return Bpf.btfData(fd.value());
    }

    /** Opens the BTF object with kernel id {@code id} (BPF_BTF_GET_FD_BY_ID): vmlinux is id 1. */
    public static LoadedBtf fromId(int id) {
        return new LoadedBtf(Bpf.getFdById(Bpf.ObjType.BTF, id));
    }

    /** The fd to pass as a map's or program's BTF. */
    public int fd() {
        return fd.value();
    }

    /** The kernel's id for this BTF object. */
    public int id() {
        return Bpf.btfInfo(fd.value()).id();
    }

    @Override
    public void close() {
        fd.close();
    }
}
