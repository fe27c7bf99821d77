package io.bpf4j.core.internal;

import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.error.Errno;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The bpf(2) system call, one typed method per command (the element commands of the map hot path share
 * {@link #mapElem}): the {@code union bpf_attr} layouts stay in this package ({@link BpfAttr}). Methods that take a {@code subject} throw a {@link BpfException} that names the command, the
 * subject, the errno and what to do; the others return {@code -errno} (or a result carrying it) for callers for
 * whom an error is an answer (ENOENT at the end of an iteration, a verifier log to show, a feature probe).
 * Memory passed as {@code long} is a native address the caller keeps alive for the call.
 */
public final class Bpf {
    private Bpf() {
    }

    /** Allocates a zeroed {@code union bpf_attr}. */
    static MemorySegment attr(Arena arena) {
        return arena.allocate(BpfAttr.SIZE, 8);
    }

    /** How often a program load interrupted by a signal is tried (libbpf tries five times too). */
    private static final int PROG_LOAD_TRIES = 5;

    /**
     * bpf(cmd, attr, size); returns the result or {@code -errno}. A program load that fails with EAGAIN is tried
     * again: the verifier gives up with EAGAIN when a signal is pending, and a JVM's threads receive signals (a
     * profiler's, the JVM's own) at any time.
     */
    static int tryCall(BpfCommand cmd, MemorySegment attr) {
        int r = (int) LibC.syscall(LibC.SYS_BPF, cmd.code(), attr, attr.byteSize());
        for (int tries = 1; r == -Errno.EAGAIN.code() && cmd == BpfCommand.PROG_LOAD && tries < PROG_LOAD_TRIES;
             tries++) {
            r = (int) LibC.syscall(LibC.SYS_BPF, cmd.code(), attr, attr.byteSize());
        }
        return r;
    }

    /**
     * bpf(cmd, attr, size); throws when it fails.
     *
     * @param subject says what the command was applied to, for the message (e.g. "hash map 'counts'"), or null
     */
    static int call(BpfCommand cmd, MemorySegment attr, Supplier<String> subject) {
        int r = tryCall(cmd, attr);
        if (r < 0) throw failure(cmd, -r, subject == null ? null : subject.get());
        return r;
    }

    /** Builds the exception for a failed command: what failed, the errno, and a hint for this errno. */
    public static BpfException failure(BpfCommand cmd, int errno, String subject) {
        String op = cmd.kernelName() + (subject == null ? "" : " (" + subject + ")");
        return new BpfException(op, errno, message(op, errno, hint(cmd, errno)));
    }

    /** "OP failed: ENAME (text) — hint". */
    public static String message(String operation, int errno, String hint) {
        Errno e = Errno.of(errno);
        String name = e == Errno.UNKNOWN ? "errno " + errno : e.name() + " (" + e.description() + ")";
        return operation + " failed: " + name + (hint == null ? "" : " — " + hint);
    }

    /** What the errno usually means for this command, and what to do about it. */
    public static String hint(BpfCommand cmd, int errno) {
        return switch (Errno.of(errno)) {
            case EPERM -> permissionHint(cmd);
            case EACCES -> cmd == BpfCommand.PROG_LOAD
                    ? "the verifier rejected the program; its log says why"
                    : "access denied: " + permissionHint(cmd);
            case E2BIG -> switch (cmd) {
                case MAP_CREATE -> "the map is too large (max_entries × value size) or the key/value size exceeds "
                        + "what this map type allows";
                case PROG_LOAD -> "the program is too large, or this kernel does not know a field that bpf4j set "
                        + "in bpf_attr (an older kernel)";
                default -> "an argument is too large, or this kernel is older than the attribute bpf4j passed";
            };
            case EINVAL -> switch (cmd) {
                case MAP_CREATE -> "the kernel refused the map definition: check the map type, key size, "
                        + "value size, max_entries and flags together (e.g. arrays need 4-byte keys, ring buffers "
                        + "a power-of-two page multiple and no key/value size)";
                case PROG_LOAD -> "the kernel refused the load attributes: check the program type, expected "
                        + "attach type, attach BTF id and flags, or the verifier log if there is one";
                case MAP_UPDATE_ELEM -> "invalid flags or value for this map type (e.g. BPF_NOEXIST on an array)";
                case LINK_CREATE, PROG_ATTACH, RAW_TRACEPOINT_OPEN ->
                        "this program type cannot be attached this way; check the attach type and target";
                case PROG_TEST_RUN -> "this program type does not support BPF_PROG_TEST_RUN with these "
                        + "arguments (data size, context, repeat or flags)";
                default -> "an attribute was invalid for " + cmd.kernelName();
            };
            case ENOENT -> switch (cmd) {
                case MAP_LOOKUP_ELEM, MAP_DELETE_ELEM, MAP_LOOKUP_AND_DELETE_ELEM -> "no such key in the map";
                case OBJ_GET -> "nothing is pinned at that path";
                default -> "the object does not exist (any more)";
            };
            case ENOSPC -> cmd == BpfCommand.PROG_LOAD || cmd == BpfCommand.BTF_LOAD
                    ? "the log buffer is too small (bpf4j grows it and retries)"
                    : "a buffer passed to the kernel is too small for what it has to return";
            case EEXIST -> cmd == BpfCommand.OBJ_PIN ? "something is already pinned at that path"
                    : "the key exists and BPF_NOEXIST was given";
            case EBUSY -> "the hook is already in use (another program is attached, or the map is frozen)";
            case EBADF -> "a file descriptor passed to the kernel is not open (was the object closed?)";
            case ENOMEM -> "the kernel could not allocate memory for this object (memory cgroup limit?)";
            case EFAULT -> "the kernel could not read or write a buffer bpf4j passed (a bpf4j bug: please report)";
            case ENOTSUPP, EOPNOTSUPP -> "this kernel does not support this operation for this object type";
            case ENOSYS -> "this kernel was built without bpf(2) (CONFIG_BPF_SYSCALL)";
            default -> null;
        };
    }

    private static String permissionHint(BpfCommand cmd) {
        if (LibC.geteuid() != 0) {
            return "bpf(2) needs root, or CAP_BPF (plus CAP_PERFMON for tracing, CAP_NET_ADMIN for networking); "
                    + "run as root (kernel.unprivileged_bpf_disabled=" + sysctl("kernel/unprivileged_bpf_disabled")
                    + ")";
        }
        String lockdown = lockdown();
        String base = "running as root, so a kernel restriction refused it";
        if (cmd == BpfCommand.PROG_LOAD) {
            base += ": this program type or attach target is not allowed here (fentry/fexit/LSM and "
                    + "kernel-function attachment are refused under lockdown or without CONFIG_FUNCTION_TRACER)";
        }
        return base + (lockdown == null ? "" : "; kernel lockdown is '" + lockdown + "'");
    }

    /**
     * The active kernel lockdown mode ("none", "integrity", "confidentiality"), or null if it cannot be read.
     * Mounts securityfs at /sys/kernel/security when it is not (as root).
     */
    public static String lockdown() {
        ObjectPath.ensureSecurityFs(); // not mounted at boot on minimal systems
        try {
            String s = Files.readString(Path.of("/sys/kernel/security/lockdown"));
            int open = s.indexOf('['), close = s.indexOf(']');
            return open >= 0 && close > open ? s.substring(open + 1, close) : s.strip();
        } catch (IOException e) {
            return null;
        }
    }

    private static String sysctl(String name) {
        try {
            return Files.readString(Path.of("/proc/sys", name)).strip();
        } catch (IOException e) {
            return "?";
        }
    }

    /** {@code r}, or the exception for {@code cmd} on {@code subject} when {@code r} is {@code -errno}. */
    private static int check(int r, BpfCommand cmd, String subject) {
        if (r < 0) throw failure(cmd, -r, subject);
        return r;
    }

    /**
     * The name as the kernel keeps it: at most 15 bytes of [A-Za-z0-9_.] (the kernel rejects names with other
     * characters); other characters are dropped.
     */
    public static String objectName(String name) {
        StringBuilder kept = new StringBuilder(15);
        for (int i = 0; i < name.length() && kept.length() < 15; i++) {
            char c = name.charAt(i);
            if (c < 128 && (Character.isLetterOrDigit(c) || c == '_' || c == '.')) kept.append(c);
        }
        return kept.toString();
    }

    private static void setName(MemorySegment attr, long offset, String name) {
        String kept = objectName(name);
        for (int i = 0; i < kept.length(); i++) attr.set(JAVA_BYTE, offset + i, (byte) kept.charAt(i));
    }

    /** A NUL-terminated string of at most {@code max} bytes inside {@code seg}. */
    static String cString(MemorySegment seg, long offset, int max) {
        int n = 0;
        while (n < max && seg.get(JAVA_BYTE, offset + n) != 0) n++;
        return new String(seg.asSlice(offset, n).toArray(JAVA_BYTE), StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Maps

    /**
     * BPF_MAP_CREATE; returns the new map's fd.
     *
     * @param subject the map as the message names it, e.g. "hash map 'counts'"
     */
    public static int mapCreate(MapCreateAttr a, String subject) {
        Memlock.raiseOnce();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = attr(arena);
            attr.set(JAVA_INT, BpfAttr.MapCreate.MAP_TYPE, a.mapType());
            attr.set(JAVA_INT, BpfAttr.MapCreate.KEY_SIZE, a.keySize());
            attr.set(JAVA_INT, BpfAttr.MapCreate.VALUE_SIZE, a.valueSize());
            attr.set(JAVA_INT, BpfAttr.MapCreate.MAX_ENTRIES, a.maxEntries());
            attr.set(JAVA_INT, BpfAttr.MapCreate.MAP_FLAGS, a.mapFlags());
            if (a.innerMapFd() >= 0) attr.set(JAVA_INT, BpfAttr.MapCreate.INNER_MAP_FD, a.innerMapFd());
            if (a.numaNode() >= 0) attr.set(JAVA_INT, BpfAttr.MapCreate.NUMA_NODE, a.numaNode());
            setName(attr, BpfAttr.MapCreate.MAP_NAME, a.name());
            if (a.btfFd() >= 0) {
                attr.set(JAVA_INT, BpfAttr.MapCreate.BTF_FD, a.btfFd());
                attr.set(JAVA_INT, BpfAttr.MapCreate.BTF_KEY_TYPE_ID, a.btfKeyTypeId());
                attr.set(JAVA_INT, BpfAttr.MapCreate.BTF_VALUE_TYPE_ID, a.btfValueTypeId());
            }
            attr.set(JAVA_INT, BpfAttr.MapCreate.BTF_VMLINUX_VALUE_TYPE_ID, a.btfVmlinuxValueTypeId());
            attr.set(JAVA_LONG, BpfAttr.MapCreate.MAP_EXTRA, a.mapExtra());
            return check(tryCall(BpfCommand.MAP_CREATE, attr), BpfCommand.MAP_CREATE, subject);
        }
    }

    /**
     * The {@code bpf_attr} of the element commands, up to {@code flags} as libbpf passes it (32 bytes). The caller
     * keeps one per thread with its other scratch memory, so that the hot path allocates nothing and looks up a
     * single thread-local; every {@link #mapElem} writes all four fields.
     */
    public static final class ElemAttr {
        private final MemorySegment segment;

        /** An attr in {@code arena}, for one thread's element commands. */
        public ElemAttr(Arena arena) {
            segment = arena.allocate(BpfAttr.MapElem.FLAGS + 8, 8);
        }

        private MemorySegment set(int mapFd, long key, long value, long flags) {
            segment.set(JAVA_LONG, BpfAttr.MapElem.MAP_FD, Integer.toUnsignedLong(mapFd)); // also zeroes the padding
            segment.set(JAVA_LONG, BpfAttr.MapElem.KEY, key);
            segment.set(JAVA_LONG, BpfAttr.MapElem.VALUE, value);
            segment.set(JAVA_LONG, BpfAttr.MapElem.FLAGS, flags);
            return segment;
        }
    }

    /**
     * One of the element commands — BPF_MAP_LOOKUP_ELEM, _UPDATE_ELEM, _DELETE_ELEM, _LOOKUP_AND_DELETE_ELEM,
     * _GET_NEXT_KEY — on {@code mapFd}: {@code key} (0 for keyless maps and for the first key), {@code value} (the
     * value buffer, or the next key's), {@code flags}; 0 or -errno. One method for all of them, not one each: the
     * map API calls it from one place, so the JIT compiles that place once, early, as the hot path's own unit, and
     * keeps the callers small enough to inline (their Optionals and boxed values then cost nothing).
     */
    public static int mapElem(ElemAttr attr, BpfCommand cmd, int mapFd, long key, long value, long flags) {
        return tryCall(cmd, attr.set(mapFd, key, value, flags));
    }

    /** BPF_MAP_FREEZE; 0 or -errno. */
    public static int mapFreeze(int mapFd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = attr(arena);
            attr.set(JAVA_INT, BpfAttr.MapElem.MAP_FD, mapFd);
            return tryCall(BpfCommand.MAP_FREEZE, attr);
        }
    }

    /**
     * What a batch command returned and how many elements it processed (the kernel reports the count also when
     * it fails part way).
     *
     * @param result 0 or -errno
     * @param count  the elements looked up, updated or deleted
     */
    public record Batch(int result, int count) {
    }

    /**
     * BPF_MAP_LOOKUP_BATCH, or BPF_MAP_LOOKUP_AND_DELETE_BATCH when {@code andDelete}: up to {@code count}
     * elements after the position {@code inBatch} (0: from the start) into {@code keys} and {@code values}, the
     * next position into {@code outBatch}.
     */
    public static Batch mapLookupBatch(int mapFd, boolean andDelete, long inBatch, long outBatch, long keys,
                                       long values, int count) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = attr(arena);
            attr.set(JAVA_LONG, BpfAttr.MapBatch.IN_BATCH, inBatch);
            attr.set(JAVA_LONG, BpfAttr.MapBatch.OUT_BATCH, outBatch);
            attr.set(JAVA_LONG, BpfAttr.MapBatch.KEYS, keys);
            attr.set(JAVA_LONG, BpfAttr.MapBatch.VALUES, values);
            attr.set(JAVA_INT, BpfAttr.MapBatch.COUNT, count);
            attr.set(JAVA_INT, BpfAttr.MapBatch.MAP_FD, mapFd);
            int r = tryCall(andDelete ? BpfCommand.MAP_LOOKUP_AND_DELETE_BATCH : BpfCommand.MAP_LOOKUP_BATCH, attr);
            return new Batch(r, attr.get(JAVA_INT, BpfAttr.MapBatch.COUNT));
        }
    }

    /** BPF_MAP_UPDATE_BATCH of {@code count} packed keys and values. */
    public static Batch mapUpdateBatch(int mapFd, long keys, long values, int count, long elemFlags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = attr(arena);
            attr.set(JAVA_LONG, BpfAttr.MapBatch.KEYS, keys);
            attr.set(JAVA_LONG, BpfAttr.MapBatch.VALUES, values);
            attr.set(JAVA_INT, BpfAttr.MapBatch.COUNT, count);
            attr.set(JAVA_INT, BpfAttr.MapBatch.MAP_FD, mapFd);
            attr.set(JAVA_LONG, BpfAttr.MapBatch.ELEM_FLAGS, elemFlags);
            int r = tryCall(BpfCommand.MAP_UPDATE_BATCH, attr);
            return new Batch(r, attr.get(JAVA_INT, BpfAttr.MapBatch.COUNT));
        }
    }

    /** BPF_MAP_DELETE_BATCH of {@code count} packed keys. */
    public static Batch mapDeleteBatch(int mapFd, long keys, int count) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = attr(arena);
            attr.set(JAVA_LONG, BpfAttr.MapBatch.KEYS, keys);
            attr.set(JAVA_INT, BpfAttr.MapBatch.COUNT, count);
            attr.set(JAVA_INT, BpfAttr.MapBatch.MAP_FD, mapFd);
            int r = tryCall(BpfCommand.MAP_DELETE_BATCH, attr);
            return new Batch(r, attr.get(JAVA_INT, BpfAttr.MapBatch.COUNT));
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Programs and BTF

    /** Size of {@code struct bpf_func_info} (insn_off, type_id). */
    private static final int FUNC_INFO_SIZE = 8;
    /** Size of {@code struct bpf_line_info} (insn_off, file_name_off, line_off, line_col). */
    private static final int LINE_INFO_SIZE = 16;
    /** Log buffer for the first verbose attempt; grown (up to {@link #MAX_PROG_LOG}) when the kernel says ENOSPC. */
    private static final int FIRST_PROG_LOG = 256 * 1024;
    /** The kernel refuses log buffers above UINT_MAX >> 2 bytes with EINVAL. */
    private static final int MAX_PROG_LOG = (int) (0xFFFF_FFFFL >>> 2);
    /** The largest BTF log asked for. */
    private static final int MAX_BTF_LOG = 1 << 24;

    /**
     * The outcome of a load with the kernel's log on.
     *
     * @param fd  the new object's fd, or -errno
     * @param log the log the kernel wrote (complete: the buffer was grown until it fit)
     */
    public record Loaded(int fd, String log) {
    }

    /** BPF_PROG_LOAD without a verifier log: the program's fd, or -errno. */
    public static int progLoad(ProgLoadAttr a) {
        Memlock.raiseOnce();
        try (Arena arena = Arena.ofConfined()) {
            return tryCall(BpfCommand.PROG_LOAD, progLoadAttr(a, arena));
        }
    }

    /**
     * BPF_PROG_LOAD with the verifier log at {@code logLevel}, the log buffer grown until the whole log fits (a
     * program that loaded with a truncated log is closed and loaded again).
     */
    public static Loaded progLoad(ProgLoadAttr a, int logLevel) {
        Memlock.raiseOnce();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = progLoadAttr(a, arena);
            int size = FIRST_PROG_LOG;
            while (true) {
                MemorySegment log = arena.allocate(size);
                attr.set(JAVA_INT, BpfAttr.ProgLoad.LOG_LEVEL, logLevel);
                attr.set(JAVA_INT, BpfAttr.ProgLoad.LOG_SIZE, size);
                attr.set(JAVA_LONG, BpfAttr.ProgLoad.LOG_BUF, log.address());
                attr.set(JAVA_INT, BpfAttr.ProgLoad.LOG_TRUE_SIZE, 0);
                int fd = tryCall(BpfCommand.PROG_LOAD, attr);
                // Kernels from 6.4 report the size the whole log needs; older ones only say ENOSPC.
                int trueSize = attr.get(JAVA_INT, BpfAttr.ProgLoad.LOG_TRUE_SIZE);
                boolean truncated = fd == -Errno.ENOSPC.code() || trueSize > size;
                if (truncated && size < MAX_PROG_LOG) {
                    if (fd >= 0) LibC.close(fd); // loaded, but the log asked for is incomplete: load again
                    size = (int) Math.min(MAX_PROG_LOG, trueSize > size ? trueSize : size * 4L);
                    continue;
                }
                return new Loaded(fd, log.getString(0, StandardCharsets.UTF_8));
            }
        }
    }

    private static MemorySegment progLoadAttr(ProgLoadAttr a, Arena arena) {
        byte[] code = a.insns();
        MemorySegment insns = arena.allocate(code.length, 8);
        MemorySegment.copy(code, 0, insns, JAVA_BYTE, 0, code.length);
        MemorySegment attr = attr(arena);
        attr.set(JAVA_INT, BpfAttr.ProgLoad.PROG_TYPE, a.progType());
        attr.set(JAVA_INT, BpfAttr.ProgLoad.INSN_CNT, code.length / 8);
        attr.set(JAVA_LONG, BpfAttr.ProgLoad.INSNS, insns.address());
        attr.set(JAVA_LONG, BpfAttr.ProgLoad.LICENSE, arena.allocateFrom(a.license()).address());
        attr.set(JAVA_INT, BpfAttr.ProgLoad.KERN_VERSION, a.kernVersion());
        attr.set(JAVA_INT, BpfAttr.ProgLoad.PROG_FLAGS, a.progFlags());
        setName(attr, BpfAttr.ProgLoad.PROG_NAME, a.name());
        attr.set(JAVA_INT, BpfAttr.ProgLoad.EXPECTED_ATTACH_TYPE, a.expectedAttachType());
        if (a.btfFd() >= 0) attr.set(JAVA_INT, BpfAttr.ProgLoad.PROG_BTF_FD, a.btfFd());
        if (a.funcInfo().length > 0) {
            MemorySegment records = arena.allocateFrom(JAVA_INT, a.funcInfo());
            attr.set(JAVA_INT, BpfAttr.ProgLoad.FUNC_INFO_REC_SIZE, FUNC_INFO_SIZE);
            attr.set(JAVA_LONG, BpfAttr.ProgLoad.FUNC_INFO, records.address());
            attr.set(JAVA_INT, BpfAttr.ProgLoad.FUNC_INFO_CNT, a.funcInfo().length / 2);
        }
        if (a.lineInfo().length > 0) {
            MemorySegment records = arena.allocateFrom(JAVA_INT, a.lineInfo());
            attr.set(JAVA_INT, BpfAttr.ProgLoad.LINE_INFO_REC_SIZE, LINE_INFO_SIZE);
            attr.set(JAVA_LONG, BpfAttr.ProgLoad.LINE_INFO, records.address());
            attr.set(JAVA_INT, BpfAttr.ProgLoad.LINE_INFO_CNT, a.lineInfo().length / 4);
        }
        attr.set(JAVA_INT, BpfAttr.ProgLoad.ATTACH_BTF_ID, a.attachBtfId());
        attr.set(JAVA_INT, BpfAttr.ProgLoad.ATTACH_BTF_OBJ_FD, a.attachBtfObjFd());
        return attr;
    }

    /**
     * What one BPF_PROG_TEST_RUN returned.
     *
     * @param result      0 or -errno
     * @param retval      the program's return value
     * @param dataSizeOut the size of the packet after the run (the room it needs when {@code result} is ENOSPC)
     * @param dataOut     the packet after the run, at most the room asked for; null when none was asked for
     * @param ctxOut      the context after the run, at most the room asked for; null when none was asked for
     * @param duration    the average run time in nanoseconds (unsigned)
     */
    public record TestRunOut(int result, int retval, int dataSizeOut, byte[] dataOut, byte[] ctxOut, int duration) {
    }

    /**
     * BPF_PROG_TEST_RUN: runs the program on {@code data} and {@code ctx} (either may be empty), with room for
     * {@code dataOutSize} bytes of packet and {@code ctxOutSize} bytes of context afterwards.
     */
    public static TestRunOut progTestRun(int progFd, byte[] data, int dataOutSize, byte[] ctx, int ctxOutSize,
                                         int repeat, int flags, int cpu, int batchSize) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = attr(arena);
            attr.set(JAVA_INT, BpfAttr.TestRun.PROG_FD, progFd);
            MemorySegment dataOut = MemorySegment.NULL;
            if (data.length > 0) {
                attr.set(JAVA_INT, BpfAttr.TestRun.DATA_SIZE_IN, data.length);
                attr.set(JAVA_LONG, BpfAttr.TestRun.DATA_IN, arena.allocateFrom(JAVA_BYTE, data).address());
                // With data_out set, a data_size_out of 0 means "no limit" to the kernel, which would then
                // write the whole packet into a 0-byte buffer: no room asked for means no data_out at all.
                if (dataOutSize > 0) {
                    dataOut = arena.allocate(dataOutSize);
                    attr.set(JAVA_INT, BpfAttr.TestRun.DATA_SIZE_OUT, dataOutSize);
                    attr.set(JAVA_LONG, BpfAttr.TestRun.DATA_OUT, dataOut.address());
                }
            }
            MemorySegment ctxOut = MemorySegment.NULL;
            if (ctx.length > 0) {
                attr.set(JAVA_INT, BpfAttr.TestRun.CTX_SIZE_IN, ctx.length);
                attr.set(JAVA_LONG, BpfAttr.TestRun.CTX_IN, arena.allocateFrom(JAVA_BYTE, ctx).address());
            }
            if (ctxOutSize > 0) {
                ctxOut = arena.allocate(ctxOutSize);
                attr.set(JAVA_INT, BpfAttr.TestRun.CTX_SIZE_OUT, ctxOutSize);
                attr.set(JAVA_LONG, BpfAttr.TestRun.CTX_OUT, ctxOut.address());
            }
            attr.set(JAVA_INT, BpfAttr.TestRun.REPEAT, repeat);
            attr.set(JAVA_INT, BpfAttr.TestRun.FLAGS, flags);
            attr.set(JAVA_INT, BpfAttr.TestRun.CPU, cpu);
            attr.set(JAVA_INT, BpfAttr.TestRun.BATCH_SIZE, batchSize);
            int r = tryCall(BpfCommand.PROG_TEST_RUN, attr);
            int needed = attr.get(JAVA_INT, BpfAttr.TestRun.DATA_SIZE_OUT);
            int ctxSize = attr.get(JAVA_INT, BpfAttr.TestRun.CTX_SIZE_OUT);
            byte[] dataBytes = dataOut.equals(MemorySegment.NULL) ? null
                    : dataOut.asSlice(0, Math.min(needed, dataOutSize)).toArray(JAVA_BYTE);
            byte[] ctxBytes = ctxOut.equals(MemorySegment.NULL) ? null
                    : ctxOut.asSlice(0, Math.min(ctxSize, ctxOutSize)).toArray(JAVA_BYTE);
            return new TestRunOut(r, attr.get(JAVA_INT, BpfAttr.TestRun.RETVAL), needed, dataBytes, ctxBytes,
                    attr.get(JAVA_INT, BpfAttr.TestRun.DURATION));
        }
    }

    /** BPF_BTF_LOAD of raw BTF without a log: the BTF object's fd, or -errno. */
    public static int btfLoad(byte[] raw) {
        try (Arena arena = Arena.ofConfined()) {
            return tryCall(BpfCommand.BTF_LOAD, btfLoadAttr(raw, arena));
        }
    }

    /** BPF_BTF_LOAD with the kernel's BTF log on, the buffer grown while the kernel says ENOSPC. */
    public static Loaded btfLoadWithLog(byte[] raw) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = btfLoadAttr(raw, arena);
            int size = 64 * 1024;
            while (true) {
                MemorySegment log = arena.allocate(size);
                attr.set(JAVA_LONG, BpfAttr.BtfLoad.BTF_LOG_BUF, log.address());
                attr.set(JAVA_INT, BpfAttr.BtfLoad.BTF_LOG_SIZE, size);
                attr.set(JAVA_INT, BpfAttr.BtfLoad.BTF_LOG_LEVEL, 1);
                int fd = tryCall(BpfCommand.BTF_LOAD, attr);
                if (fd < 0 && -fd == Errno.ENOSPC.code() && size < MAX_BTF_LOG) {
                    size *= 4;
                    continue;
                }
                return new Loaded(fd, log.getString(0, StandardCharsets.UTF_8));
            }
        }
    }

    private static MemorySegment btfLoadAttr(byte[] raw, Arena arena) {
        MemorySegment data = arena.allocateFrom(JAVA_BYTE, raw);
        MemorySegment attr = attr(arena);
        attr.set(JAVA_LONG, BpfAttr.BtfLoad.BTF, data.address());
        attr.set(JAVA_INT, BpfAttr.BtfLoad.BTF_SIZE, raw.length);
        return attr;
    }

    /** BPF_ENABLE_STATS of run time (BPF_STATS_RUN_TIME): an fd that keeps the statistics on while open. */
    public static int enableRunTimeStats() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = attr(arena);
            attr.set(JAVA_INT, BpfAttr.EnableStats.TYPE, 0); // BPF_STATS_RUN_TIME
            return call(BpfCommand.ENABLE_STATS, attr, () -> "run time");
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Object ids

    /** The kinds of BPF object the kernel numbers, with the commands that walk and open them. */
    public enum ObjType {
        PROG(BpfCommand.PROG_GET_NEXT_ID, BpfCommand.PROG_GET_FD_BY_ID, "program"),
        MAP(BpfCommand.MAP_GET_NEXT_ID, BpfCommand.MAP_GET_FD_BY_ID, "map"),
        LINK(BpfCommand.LINK_GET_NEXT_ID, BpfCommand.LINK_GET_FD_BY_ID, "link"),
        BTF(BpfCommand.BTF_GET_NEXT_ID, BpfCommand.BTF_GET_FD_BY_ID, "BTF");

        private final BpfCommand nextId, fdById;
        private final String noun;

        ObjType(BpfCommand nextId, BpfCommand fdById, String noun) {
            this.nextId = nextId;
            this.fdById = fdById;
            this.noun = noun;
        }
    }

    /** BPF_*_GET_NEXT_ID: the smallest id above {@code startId}, or -1 when there is none. */
    public static int getNextId(ObjType type, int startId) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = attr(arena);
            attr.set(JAVA_INT, BpfAttr.GetId.START_ID, startId);
            int r = tryCall(type.nextId, attr);
            if (r == -Errno.ENOENT.code()) return -1;
            check(r, type.nextId, "after id " + startId);
            return attr.get(JAVA_INT, BpfAttr.GetId.NEXT_ID);
        }
    }

    /** BPF_*_GET_FD_BY_ID: a new fd for the object with kernel id {@code id}. */
    public static int getFdById(ObjType type, int id) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = attr(arena);
            attr.set(JAVA_INT, BpfAttr.GetId.ID, id);
            return call(type.fdById, attr, () -> type.noun + " id " + id);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // BPF_OBJ_GET_INFO_BY_FD

    /** Fills {@code info} (its whole size is passed as info_len) with the info of the object behind {@code fd}. */
    private static void objGetInfoByFd(int fd, MemorySegment info, Arena arena) {
        MemorySegment attr = attr(arena);
        attr.set(JAVA_INT, BpfAttr.InfoByFd.BPF_FD, fd);
        attr.set(JAVA_INT, BpfAttr.InfoByFd.INFO_LEN, (int) info.byteSize());
        attr.set(JAVA_LONG, BpfAttr.InfoByFd.INFO, info.address());
        call(BpfCommand.OBJ_GET_INFO_BY_FD, attr, null);
    }

    /** {@code struct bpf_map_info}, as far as bpf4j reads it. */
    public record MapInfo(int id, int type, String name, int keySize, int valueSize, int maxEntries, int flags,
                          int ifindex, int btfId, int btfKeyTypeId, int btfValueTypeId, long mapExtra) {
    }

    /** BPF_OBJ_GET_INFO_BY_FD of a map. */
    public static MapInfo mapInfo(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(BpfAttr.MapInfo.SIZE, 8);
            objGetInfoByFd(fd, info, arena);
            return new MapInfo(
                    info.get(JAVA_INT, BpfAttr.MapInfo.ID),
                    info.get(JAVA_INT, BpfAttr.MapInfo.TYPE),
                    cString(info, BpfAttr.MapInfo.NAME, 16),
                    info.get(JAVA_INT, BpfAttr.MapInfo.KEY_SIZE),
                    info.get(JAVA_INT, BpfAttr.MapInfo.VALUE_SIZE),
                    info.get(JAVA_INT, BpfAttr.MapInfo.MAX_ENTRIES),
                    info.get(JAVA_INT, BpfAttr.MapInfo.MAP_FLAGS),
                    info.get(JAVA_INT, BpfAttr.MapInfo.IFINDEX),
                    info.get(JAVA_INT, BpfAttr.MapInfo.BTF_ID),
                    info.get(JAVA_INT, BpfAttr.MapInfo.BTF_KEY_TYPE_ID),
                    info.get(JAVA_INT, BpfAttr.MapInfo.BTF_VALUE_TYPE_ID),
                    info.get(JAVA_LONG, BpfAttr.MapInfo.MAP_EXTRA));
        }
    }

    /** {@code struct bpf_prog_info}, as far as bpf4j reads it; {@code tag} is the 8-byte program tag. */
    public record ProgInfo(int id, int type, String name, byte[] tag, int xlatedProgLen, int jitedProgLen,
                           int verifiedInsns, int nrMapIds, int btfId, long runCnt, long runTimeNs,
                           long recursionMisses, int nrFuncInfo, int nrLineInfo, int lineInfoRecSize) {
    }

    /** BPF_OBJ_GET_INFO_BY_FD of a program. */
    public static ProgInfo progInfo(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(BpfAttr.ProgInfo.SIZE, 8);
            objGetInfoByFd(fd, info, arena);
            return new ProgInfo(
                    info.get(JAVA_INT, BpfAttr.ProgInfo.ID),
                    info.get(JAVA_INT, BpfAttr.ProgInfo.TYPE),
                    cString(info, BpfAttr.ProgInfo.NAME, 16),
                    info.asSlice(BpfAttr.ProgInfo.TAG, 8).toArray(JAVA_BYTE),
                    info.get(JAVA_INT, BpfAttr.ProgInfo.XLATED_PROG_LEN),
                    info.get(JAVA_INT, BpfAttr.ProgInfo.JITED_PROG_LEN),
                    info.get(JAVA_INT, BpfAttr.ProgInfo.VERIFIED_INSNS),
                    info.get(JAVA_INT, BpfAttr.ProgInfo.NR_MAP_IDS),
                    info.get(JAVA_INT, BpfAttr.ProgInfo.BTF_ID),
                    info.get(JAVA_LONG, BpfAttr.ProgInfo.RUN_CNT),
                    info.get(JAVA_LONG, BpfAttr.ProgInfo.RUN_TIME_NS),
                    info.get(JAVA_LONG, BpfAttr.ProgInfo.RECURSION_MISSES),
                    info.get(JAVA_INT, BpfAttr.ProgInfo.NR_FUNC_INFO),
                    info.get(JAVA_INT, BpfAttr.ProgInfo.NR_LINE_INFO),
                    info.get(JAVA_INT, BpfAttr.ProgInfo.LINE_INFO_REC_SIZE));
        }
    }

    /**
     * A program's instructions as the kernel holds them.
     *
     * @param xlated   the instructions after the verifier rewrote them; null when the kernel withheld them (the
     *                 caller lacks CAP_PERFMON / CAP_SYS_ADMIN)
     * @param mapIds   the ids of the maps the program uses
     * @param lineInfo the line info records, four ints each: insn_off (in instructions), file_name_off,
     *                 line_off, line_col
     */
    public record ProgXlated(byte[] xlated, int[] mapIds, int[] lineInfo) {
    }

    /**
     * BPF_OBJ_GET_INFO_BY_FD with buffers for the rewritten instructions, the map ids and the line info, sized
     * by {@code head} (a {@link #progInfo} of the same program).
     */
    public static ProgXlated progXlated(int fd, ProgInfo head) {
        int xlatedLen = head.xlatedProgLen(), maps = head.nrMapIds(), lines = head.nrLineInfo();
        int lineRec = head.lineInfoRecSize();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment insns = arena.allocate(Math.max(8, xlatedLen), 8);
            MemorySegment mapIds = arena.allocate(4L * Math.max(1, maps), 8);
            MemorySegment lineInfo = arena.allocate((long) Math.max(1, lines) * Math.max(16, lineRec), 8);
            MemorySegment full = arena.allocate(BpfAttr.ProgInfo.SIZE, 8);
            full.set(JAVA_INT, BpfAttr.ProgInfo.XLATED_PROG_LEN, xlatedLen);
            full.set(JAVA_LONG, BpfAttr.ProgInfo.XLATED_PROG_INSNS, insns.address());
            full.set(JAVA_INT, BpfAttr.ProgInfo.NR_MAP_IDS, maps);
            full.set(JAVA_LONG, BpfAttr.ProgInfo.MAP_IDS, mapIds.address());
            full.set(JAVA_INT, BpfAttr.ProgInfo.NR_LINE_INFO, lines);
            full.set(JAVA_INT, BpfAttr.ProgInfo.LINE_INFO_REC_SIZE, lineRec);
            full.set(JAVA_LONG, BpfAttr.ProgInfo.LINE_INFO, lineInfo.address());
            objGetInfoByFd(fd, full, arena);
            boolean withheld = xlatedLen > 0 && full.get(JAVA_LONG, BpfAttr.ProgInfo.XLATED_PROG_INSNS) == 0;
            int[] records = new int[4 * lines];
            for (int i = 0; i < lines; i++) {
                for (int f = 0; f < 4; f++) records[4 * i + f] = lineInfo.get(JAVA_INT, (long) i * lineRec + 4L * f);
            }
            return new ProgXlated(withheld ? null : insns.asSlice(0, xlatedLen).toArray(JAVA_BYTE),
                    mapIds.asSlice(0, 4L * maps).toArray(JAVA_INT), records);
        }
    }

    /** The head of {@code struct bpf_link_info}: the link's id, its {@code enum bpf_link_type} and program id. */
    public record LinkInfo(int id, int type, int progId) {
    }

    /** BPF_OBJ_GET_INFO_BY_FD of a link. */
    public static LinkInfo linkInfo(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(BpfAttr.LinkInfo.SIZE, 8);
            objGetInfoByFd(fd, info, arena);
            return new LinkInfo(info.get(JAVA_INT, BpfAttr.LinkInfo.ID), info.get(JAVA_INT, BpfAttr.LinkInfo.TYPE),
                    info.get(JAVA_INT, BpfAttr.LinkInfo.PROG_ID));
        }
    }

    /**
     * {@code struct bpf_btf_info} without the data.
     *
     * @param size      the size of the raw BTF
     * @param name      the kernel BTF's name ("vmlinux", a module's), empty for user-loaded BTF
     * @param kernelBtf whether this is the kernel's or a module's own BTF
     */
    public record BtfInfo(int id, int size, String name, boolean kernelBtf) {
    }

    /** BPF_OBJ_GET_INFO_BY_FD of a BTF object (its name read up to 63 bytes). */
    public static BtfInfo btfInfo(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocate(64);
            MemorySegment info = arena.allocate(BpfAttr.BtfInfo.SIZE, 8);
            info.set(JAVA_LONG, BpfAttr.BtfInfo.NAME, name.address());
            info.set(JAVA_INT, BpfAttr.BtfInfo.NAME_LEN, 64);
            objGetInfoByFd(fd, info, arena);
            return new BtfInfo(info.get(JAVA_INT, BpfAttr.BtfInfo.ID), info.get(JAVA_INT, BpfAttr.BtfInfo.BTF_SIZE),
                    name.getString(0, StandardCharsets.UTF_8), info.get(JAVA_INT, BpfAttr.BtfInfo.KERNEL_BTF) != 0);
        }
    }

    /** The raw BTF of the BTF object behind {@code fd} (BPF_OBJ_GET_INFO_BY_FD twice: size, then data). */
    public static byte[] btfData(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(BpfAttr.BtfInfo.SIZE, 8);
            objGetInfoByFd(fd, info, arena);
            int size = info.get(JAVA_INT, BpfAttr.BtfInfo.BTF_SIZE);
            MemorySegment data = arena.allocate(Math.max(1, size));
            MemorySegment full = arena.allocate(BpfAttr.BtfInfo.SIZE, 8);
            full.set(JAVA_LONG, BpfAttr.BtfInfo.BTF, data.address());
            full.set(JAVA_INT, BpfAttr.BtfInfo.BTF_SIZE, size);
            objGetInfoByFd(fd, full, arena);
            return data.asSlice(0, size).toArray(JAVA_BYTE);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Attaching

    /**
     * BPF_LINK_CREATE for attach types that need nothing beyond a target (an fd or an interface index, 0 for
     * none); returns the link's fd.
     *
     * @param subject the attachment as the message names it
     */
    public static int linkCreate(int progFd, int target, int attachType, int flags, String subject) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = attr(arena);
            attr.set(JAVA_INT, BpfAttr.LinkCreate.PROG_FD, progFd);
            attr.set(JAVA_INT, BpfAttr.LinkCreate.TARGET_FD, target);
            attr.set(JAVA_INT, BpfAttr.LinkCreate.ATTACH_TYPE, attachType);
            attr.set(JAVA_INT, BpfAttr.LinkCreate.FLAGS, flags);
            return call(BpfCommand.LINK_CREATE, attr, () -> subject);
        }
    }

    /** BPF_LINK_CREATE of a BPF_PERF_EVENT link over {@code perfFd}, with a BPF cookie; the fd or -errno. */
    public static int linkCreatePerfEvent(int progFd, int perfFd, int attachType, long cookie) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = attr(arena);
            attr.set(JAVA_INT, BpfAttr.LinkCreate.PROG_FD, progFd);
            attr.set(JAVA_INT, BpfAttr.LinkCreate.TARGET_FD, perfFd);
            attr.set(JAVA_INT, BpfAttr.LinkCreate.ATTACH_TYPE, attachType);
            attr.set(JAVA_LONG, BpfAttr.LinkCreate.PERF_EVENT_BPF_COOKIE, cookie);
            return tryCall(BpfCommand.LINK_CREATE, attr);
        }
    }

    /** BPF_LINK_CREATE of a kprobe_multi link on the kernel functions {@code symbols}; returns the fd. */
    public static int linkCreateKprobeMulti(int progFd, int attachType, int flags, List<String> symbols,
                                            String subject) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment syms = arena.allocate(JAVA_LONG, symbols.size());
            for (int i = 0; i < symbols.size(); i++) {
                syms.setAtIndex(JAVA_LONG, i, arena.allocateFrom(symbols.get(i)).address());
            }
            MemorySegment attr = attr(arena);
            attr.set(JAVA_INT, BpfAttr.LinkCreate.PROG_FD, progFd);
            attr.set(JAVA_INT, BpfAttr.LinkCreate.ATTACH_TYPE, attachType);
            attr.set(JAVA_INT, BpfAttr.LinkCreate.KPROBE_MULTI_FLAGS, flags);
            attr.set(JAVA_INT, BpfAttr.LinkCreate.KPROBE_MULTI_CNT, symbols.size());
            attr.set(JAVA_LONG, BpfAttr.LinkCreate.KPROBE_MULTI_SYMS, syms.address());
            return call(BpfCommand.LINK_CREATE, attr, () -> subject);
        }
    }

    /**
     * BPF_LINK_CREATE of an uprobe_multi link on {@code offsets} in {@code file}; the fd or -errno.
     *
     * @param refCtrOffsets USDT semaphore offsets, one per offset, or null
     * @param cookies       BPF cookies, one per offset, or null
     * @param pid           the process to probe, 0 for all
     */
    public static int linkCreateUprobeMulti(int progFd, int attachType, String file, long[] offsets,
                                            long[] refCtrOffsets, long[] cookies, int flags, int pid) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = attr(arena);
            attr.set(JAVA_INT, BpfAttr.LinkCreate.PROG_FD, progFd);
            attr.set(JAVA_INT, BpfAttr.LinkCreate.ATTACH_TYPE, attachType);
            attr.set(JAVA_LONG, BpfAttr.LinkCreate.UPROBE_MULTI_PATH, arena.allocateFrom(file).address());
            attr.set(JAVA_LONG, BpfAttr.LinkCreate.UPROBE_MULTI_OFFSETS,
                    arena.allocateFrom(JAVA_LONG, offsets).address());
            if (refCtrOffsets != null) {
                attr.set(JAVA_LONG, BpfAttr.LinkCreate.UPROBE_MULTI_REF_CTR_OFFSETS,
                        arena.allocateFrom(JAVA_LONG, refCtrOffsets).address());
            }
            if (cookies != null) {
                attr.set(JAVA_LONG, BpfAttr.LinkCreate.UPROBE_MULTI_COOKIES,
                        arena.allocateFrom(JAVA_LONG, cookies).address());
            }
            attr.set(JAVA_INT, BpfAttr.LinkCreate.UPROBE_MULTI_CNT, offsets.length);
            attr.set(JAVA_INT, BpfAttr.LinkCreate.UPROBE_MULTI_FLAGS, flags);
            attr.set(JAVA_INT, BpfAttr.LinkCreate.UPROBE_MULTI_PID, pid);
            return tryCall(BpfCommand.LINK_CREATE, attr);
        }
    }

    /**
     * BPF_RAW_TRACEPOINT_OPEN: attaches a raw tracepoint program to tracepoint {@code name}, or with a null name a
     * BTF-typed program to the target it was loaded for; returns the link's fd.
     */
    public static int rawTracepointOpen(int progFd, String name, String subject) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = attr(arena);
            if (name != null) attr.set(JAVA_LONG, BpfAttr.RawTracepoint.NAME, arena.allocateFrom(name).address());
            attr.set(JAVA_INT, BpfAttr.RawTracepoint.PROG_FD, progFd);
            return call(BpfCommand.RAW_TRACEPOINT_OPEN, attr, () -> subject);
        }
    }

    /** BPF_LINK_DETACH: detaches the link from its hook while its fd stays open. */
    public static void linkDetach(int linkFd, String subject) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = attr(arena);
            attr.set(JAVA_INT, BpfAttr.LinkDetach.LINK_FD, linkFd);
            call(BpfCommand.LINK_DETACH, attr, () -> subject);
        }
    }

    /** BPF_ITER_CREATE: a readable fd that runs the iterator link {@code linkFd} once. */
    public static int iterCreate(int linkFd, String subject) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = attr(arena);
            attr.set(JAVA_INT, BpfAttr.IterCreate.LINK_FD, linkFd);
            return call(BpfCommand.ITER_CREATE, attr, () -> subject);
        }
    }

    /**
     * Raises RLIMIT_MEMLOCK once per process before the first map or program, ignoring failure (kernels ≥ 5.11
     * account memory by cgroup instead).
     */
    private static final class Memlock {
        private static volatile boolean done;

        private Memlock() {
        }

        static void raiseOnce() {
            if (!done) {
                LibC.raiseMemlockLimit();
                done = true;
            }
        }
    }
}
