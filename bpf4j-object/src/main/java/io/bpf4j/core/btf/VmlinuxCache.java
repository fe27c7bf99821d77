package io.bpf4j.core.btf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * vmlinux's BTF as the previous run of bpf4j on this kernel indexed it: a file that holds the BTF itself, where
 * each type starts, the name index's hash table and the CO-RE flavoured ids, mapped into memory as it is. Every tool
 * needs these; computing them costs three passes over vmlinux's ~127k types (about 40 ms of a tool's start-up and
 * much of the JIT's work), reading them back costs a {@code mmap}.
 *
 * <p>The file is named by the kernel it was made from: the path, size and modification time of the BTF file (sysfs
 * dates it at boot, so a new boot makes a new file) and the kernel's release and build version. Checking that is a
 * {@code stat} and two small reads; a checksum of the BTF would cost a read of its 5 MB at every start. A file that
 * does not match (another kernel, a half-written or damaged file) is ignored and made anew; it is replaced by a
 * rename, so a run that has the old one mapped keeps reading it. Where the cache directory cannot be written, runs
 * just pay the passes.
 *
 * <p>The directory is {@code $BPF4J_CACHE_DIR}, else {@code $XDG_CACHE_HOME/bpf4j}, else {@code ~/.cache/bpf4j};
 * {@code BPF4J_CACHE_DIR=off} turns the cache off.
 */
final class VmlinuxCache {
    private static final int MAGIC = 0x42344243; // "CB4B" little-endian: bpf4j BTF cache
    private static final int VERSION = 1;

    private final Path dir;

    VmlinuxCache(Path dir) {
        this.dir = dir;
    }

    /** The cache in the user's cache directory, or {@code null} when {@code BPF4J_CACHE_DIR=off}. */
    static VmlinuxCache standard() {
        String env = System.getenv("BPF4J_CACHE_DIR");
        if ("off".equals(env)) return null;
        if (env != null && !env.isEmpty()) return new VmlinuxCache(Path.of(env));
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isEmpty()) return new VmlinuxCache(Path.of(xdg, "bpf4j"));
        return new VmlinuxCache(Path.of(System.getProperty("user.home"), ".cache", "bpf4j"));
    }

    /**
     * The BTF of {@code file}: from the cache when it holds this kernel's, else parsed by {@code parse} (which
     * checks it) and then kept in the cache for the next run.
     */
    Btf load(Path file, java.util.function.Function<Path, Btf> parse) {
        String key;
        try {
            key = key(file);
        } catch (IOException e) {
            return parse.apply(file); // the parse says what is wrong with the file
        }
        Path cached = dir.resolve("vmlinux-" + Integer.toHexString(key.hashCode()) + ".btfidx");
        Btf btf = read(cached, key);
        if (btf != null) return btf;
        btf = parse.apply(file);
        write(cached, key, btf);
        return btf;
    }

    /** What names the kernel the BTF file belongs to. */
    static String key(Path file) throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        return file.toAbsolutePath() + " " + a.size() + " " + a.lastModifiedTime().toMillis() + " "
                + procLine("osrelease") + " " + procLine("version");
    }

    private static String procLine(String name) {
        try {
            return Files.readString(Path.of("/proc/sys/kernel", name)).strip();
        } catch (IOException e) {
            return "?";
        }
    }

    /** The cached BTF, or {@code null} when the file is missing, is of another kernel or is not whole. */
    static Btf read(Path cached, String key) {
        ByteBuffer m;
        try (FileChannel ch = FileChannel.open(cached, StandardOpenOption.READ)) {
            // mapped as a segment, then viewed as a buffer: map()'s MappedByteBuffer is made by reflection, which
            // costs a fresh JVM ~15 ms. The views keep the automatic arena alive; a file not used is unmapped by GC.
            m = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), Arena.ofAuto()).asByteBuffer()
                    .order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
        try {
            if (m.getInt() != MAGIC || m.getInt() != VERSION) return null;
            byte[] k = new byte[m.getInt()];
            m.get(k);
            if (!new String(k, StandardCharsets.UTF_8).equals(key)) return null;
            m.position((m.position() + 3) & ~3);
            int count = m.getInt(), slots = m.getInt(), flavored = m.getInt(), btfLen = m.getInt();
            long rest = 4L * count + 4L * slots + 4L * flavored + btfLen;
            if (count < 0 || slots < 0 || flavored < 0 || btfLen < 0 || rest != m.remaining()) return null;
            IntBuffer ints = m.slice().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer();
            int[] offsets = new int[count], nameSlots = new int[slots], flavoredIds = new int[flavored];
            ints.get(offsets).get(nameSlots).get(flavoredIds);
            ByteBuffer data = m.slice(m.position() + (int) (rest - btfLen), btfLen);
            return Btf.indexed(data, offsets, count, nameSlots, flavoredIds);
        } catch (RuntimeException damaged) {
            return null; // short, or not what this version writes: make it anew
        }
    }

    /** Keeps {@code btf}'s index in {@code cached} (written aside, then renamed); failures only cost speed. */
    static void write(Path cached, String key, Btf btf) {
        try {
            ByteBuffer data = btf.raw();
            if (!data.hasRemaining()) return;
            int[] offsets = btf.typeOffsets(), slots = btf.nameSlots(), flavored = btf.flavoredIds();
            int count = btf.typeCount();
            byte[] k = key.getBytes(StandardCharsets.UTF_8);
            int head = (12 + k.length + 3) & ~3;
            ByteBuffer b = ByteBuffer.allocate(head + 16 + 4 * (count + slots.length + flavored.length) + data.remaining())
                    .order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(MAGIC).putInt(VERSION).putInt(k.length).put(k).position(head);
            b.putInt(count).putInt(slots.length).putInt(flavored.length).putInt(data.remaining());
            b.asIntBuffer().put(offsets, 0, count).put(slots).put(flavored);
            b.position(b.position() + 4 * (count + slots.length + flavored.length)).put(data);
            Files.createDirectories(cached.getParent());
            Path tmp = Files.createTempFile(cached.getParent(), cached.getFileName().toString(), ".tmp");
            try {
                Files.write(tmp, b.array());
                Files.move(tmp, cached, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException | RuntimeException e) {
            // a read-only or full disk: the next run parses again
        }
    }
}
