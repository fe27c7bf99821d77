package io.bpf4j.core.btf;

import io.bpf4j.core.format.IoErrors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The running kernel's BTF: vmlinux's from {@code /sys/kernel/btf/vmlinux} and each module's from
 * {@code /sys/kernel/btf/<module>} (split BTF on top of vmlinux). Each is read once per process, on first use,
 * and shared: {@link Btf} is immutable and thread-safe.
 */
public final class KernelBtf {
    /** Where the kernel exposes its BTF ({@code CONFIG_DEBUG_INFO_BTF}). */
    public static final Path SYSFS = Path.of("/sys/kernel/btf");

    private static final Map<String, Btf> MODULES = new ConcurrentHashMap<>();

    private KernelBtf() {
    }

    /** Holder idiom: the JVM runs the load once, on first access, with the needed synchronisation. */
    private static final class Vmlinux {
        static final Btf BTF = loadVmlinux(SYSFS.resolve("vmlinux"));
    }

    /**
     * vmlinux's BTF, loaded on first call.
     *
     * @throws BtfException when the kernel has no BTF (built without {@code CONFIG_DEBUG_INFO_BTF}) or it is
     *                      unreadable
     */
    public static Btf vmlinux() {
        try {
            return Vmlinux.BTF;
        } catch (ExceptionInInitializerError | NoClassDefFoundError e) {
            // A failed holder init is remembered by the JVM; say it again with the cause each time.
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            if (cause instanceof BtfException be) throw new BtfException(be.getMessage(), be);
            throw new BtfException("cannot load vmlinux BTF: " + cause, cause);
        }
    }

    /** Module {@code name}'s BTF, split on top of {@link #vmlinux()}; loaded on first call for that module. */
    public static Btf module(String name) {
        if (name.isEmpty() || name.contains("/") || name.equals("vmlinux") || name.startsWith("."))
            throw new BtfException("'" + name + "' is not a kernel module name");
        return MODULES.computeIfAbsent(name, n -> load(SYSFS.resolve(n), vmlinux()));
    }

    /** The modules that have BTF in this kernel (the entries of /sys/kernel/btf but vmlinux), sorted. */
    public static List<String> modules() {
        try (Stream<Path> s = Files.list(SYSFS)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> !n.equals("vmlinux")).sorted().toList();
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new BtfException("cannot list " + SYSFS + ": " + IoErrors.reason(e), e);
        }
    }

    /** vmlinux's BTF through the {@link VmlinuxCache} (unless it is turned off). */
    static Btf loadVmlinux(Path file) {
        VmlinuxCache cache = VmlinuxCache.standard();
        return cache == null ? load(file, null) : cache.load(file, f -> load(f, null));
    }

    /**
     * Reads a kernel BTF file. mmap when the kernel allows it (6.16+ for vmlinux: no copy on the Java heap), else
     * one read: sysfs reports the exact size.
     */
    static Btf load(Path file, Btf base) {
        ByteBuffer data;
        try {
            data = map(file);
        } catch (NoSuchFileException e) {
            throw new BtfException(file + " does not exist: "
                    + (base == null ? "this kernel was built without BTF (CONFIG_DEBUG_INFO_BTF)"
                    : "no such module, or it was built without BTF") , e);
        } catch (IOException e) {
            throw new BtfException("cannot read " + file + ": " + IoErrors.reason(e), e);
        }
        try {
            return base == null ? Btf.parse(data) : Btf.parseSplit(data, base);
        } catch (BtfException e) {
            throw new BtfException(file + ": " + e.getMessage(), e);
        }
    }

    private static ByteBuffer map(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            try {
                if (size > 0) return ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            } catch (IOException | UnsupportedOperationException e) {
                // older kernels: sysfs BTF cannot be mapped; read it instead
            }
        }
        return ByteBuffer.wrap(Files.readAllBytes(file));
    }
}
