package io.bpf4j.core;

import io.bpf4j.core.btf.BtfExt;
import io.bpf4j.core.internal.Bpf;
import io.bpf4j.core.internal.BpfAttr;
import io.bpf4j.core.internal.BpfCommand;
import io.bpf4j.core.kernel.Fd;
import io.bpf4j.core.internal.LibC;
import io.bpf4j.core.internal.ObjectPath;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A program loaded into the kernel. Owns its file descriptor: {@link #close()} releases it (the kernel frees
 * the program once nothing else — a link, a pin, a prog array — holds it).
 */
public final class Program implements AutoCloseable {
    /** Log buffer for the first verbose attempt; grown (up to {@link #MAX_LOG}) when the kernel says ENOSPC. */
    private static final int FIRST_LOG = 256 * 1024;
    /** The kernel refuses log buffers above UINT_MAX >> 2 bytes with EINVAL. */
    private static final int MAX_LOG = (int) (0xFFFF_FFFFL >>> 2);
    /** How many of the verifier's last lines the exception message shows. */
    private static final int DECISIVE_LINES = 4;

    private final Fd fd;
    private final String name;
    private final ProgramType type;
    private final String verifierLog;

    private Program(Fd fd, String name, ProgramType type, String verifierLog) {
        this.fd = fd;
        this.name = name;
        this.type = type;
        this.verifierLog = verifierLog;
    }

    /**
     * Loads a program. The verifier runs silently first; if it rejects the program, the load is repeated with
     * the verifier log on, and a {@link VerifierException} carries the whole log.
     *
     * @throws VerifierException when the verifier rejects the program
     * @throws BpfException      when the kernel refuses the load for another reason (permissions, attributes)
     */
    public static Program load(ProgramSpec spec) {
        return load(spec, 0);
    }

    /**
     * Loads a program with the verifier log at {@code logLevel} (1 = verbose on failure, 2 = every instruction,
     * 4 = statistics; flags may be combined as the kernel allows) kept even on success in {@link #verifierLog()}.
     */
    public static Program load(ProgramSpec spec, int logLevel) {
        Memlock.raiseOnce();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = loadAttr(spec, arena);
            if (logLevel == 0) {
                int fd = Bpf.tryCall(BpfCommand.PROG_LOAD, attr);
                if (fd >= 0) return new Program(Fd.adopt(fd), spec.name(), spec.type(), "");
                if (-fd == Errno.EPERM.code()) throw loadFailure(spec, -fd, "");
            }
            return loadWithLog(spec, attr, Math.max(logLevel, 1), logLevel != 0, arena);
        }
    }

    private static Program loadWithLog(ProgramSpec spec, MemorySegment attr, int logLevel, boolean keepLog,
                                       Arena arena) {
        int size = FIRST_LOG;
        while (true) {
            MemorySegment log = arena.allocate(size);
            attr.set(JAVA_INT, BpfAttr.ProgLoad.LOG_LEVEL, logLevel);
            attr.set(JAVA_INT, BpfAttr.ProgLoad.LOG_SIZE, size);
            attr.set(JAVA_LONG, BpfAttr.ProgLoad.LOG_BUF, log.address());
            attr.set(JAVA_INT, BpfAttr.ProgLoad.LOG_TRUE_SIZE, 0);
            int fd = Bpf.tryCall(BpfCommand.PROG_LOAD, attr);
            // Kernels from 6.4 report the size the whole log needs; older ones only say ENOSPC.
            int trueSize = attr.get(JAVA_INT, BpfAttr.ProgLoad.LOG_TRUE_SIZE);
            boolean truncated = fd == -Errno.ENOSPC.code() || trueSize > size;
            if (truncated && size < MAX_LOG) {
                if (fd >= 0) LibC.close(fd); // loaded, but the log asked for is incomplete: load again
                size = (int) Math.min(MAX_LOG, trueSize > size ? trueSize : size * 4L);
                continue;
            }
            String text = log.getString(0, StandardCharsets.UTF_8);
            if (fd >= 0) return new Program(Fd.adopt(fd), spec.name(), spec.type(), keepLog ? text : "");
            throw loadFailure(spec, -fd, text);
        }
    }

    private static MemorySegment loadAttr(ProgramSpec spec, Arena arena) {
        byte[] code = spec.instructions().toBytes();
        MemorySegment insns = arena.allocate(code.length, 8);
        MemorySegment.copy(code, 0, insns, JAVA_BYTE, 0, code.length);
        MemorySegment attr = Bpf.attr(arena);
        attr.set(JAVA_INT, BpfAttr.ProgLoad.PROG_TYPE, spec.type().code());
        attr.set(JAVA_INT, BpfAttr.ProgLoad.INSN_CNT, code.length / 8);
        attr.set(JAVA_LONG, BpfAttr.ProgLoad.INSNS, insns.address());
        attr.set(JAVA_LONG, BpfAttr.ProgLoad.LICENSE, arena.allocateFrom(spec.license()).address());
        attr.set(JAVA_INT, BpfAttr.ProgLoad.KERN_VERSION, spec.kernVersion());
        attr.set(JAVA_INT, BpfAttr.ProgLoad.PROG_FLAGS, spec.flags());
        setName(attr, BpfAttr.ProgLoad.PROG_NAME, spec.name());
        spec.expectedAttachType().ifPresent(t -> attr.set(JAVA_INT, BpfAttr.ProgLoad.EXPECTED_ATTACH_TYPE, t.code()));
        if (spec.btfFd() >= 0) attr.set(JAVA_INT, BpfAttr.ProgLoad.PROG_BTF_FD, spec.btfFd());
        if (!spec.funcInfo().isEmpty()) {
            List<ProgramSpec.FuncInfo> funcs = spec.funcInfo();
            MemorySegment records = arena.allocate((long) ProgramSpec.FuncInfo.SIZE * funcs.size(), 4);
            for (int i = 0; i < funcs.size(); i++) {
                records.set(JAVA_INT, (long) ProgramSpec.FuncInfo.SIZE * i, funcs.get(i).insnOffset());
                records.set(JAVA_INT, (long) ProgramSpec.FuncInfo.SIZE * i + 4, funcs.get(i).typeId());
            }
            attr.set(JAVA_INT, BpfAttr.ProgLoad.FUNC_INFO_REC_SIZE, ProgramSpec.FuncInfo.SIZE);
            attr.set(JAVA_LONG, BpfAttr.ProgLoad.FUNC_INFO, records.address());
            attr.set(JAVA_INT, BpfAttr.ProgLoad.FUNC_INFO_CNT, funcs.size());
        }
        if (!spec.lineInfo().isEmpty()) {
            List<BtfExt.LineInfo> lines = spec.lineInfo();
            int size = ProgramSpec.LINE_INFO_SIZE;
            MemorySegment records = arena.allocate((long) size * lines.size(), 4);
            for (int i = 0; i < lines.size(); i++) {
                BtfExt.LineInfo l = lines.get(i);
                records.set(JAVA_INT, (long) size * i, l.insnOffset());
                records.set(JAVA_INT, (long) size * i + 4, l.fileNameOff());
                records.set(JAVA_INT, (long) size * i + 8, l.lineOff());
                records.set(JAVA_INT, (long) size * i + 12, l.lineCol());
            }
            attr.set(JAVA_INT, BpfAttr.ProgLoad.LINE_INFO_REC_SIZE, size);
            attr.set(JAVA_LONG, BpfAttr.ProgLoad.LINE_INFO, records.address());
            attr.set(JAVA_INT, BpfAttr.ProgLoad.LINE_INFO_CNT, lines.size());
        }
        attr.set(JAVA_INT, BpfAttr.ProgLoad.ATTACH_BTF_ID, spec.attachBtfId());
        attr.set(JAVA_INT, BpfAttr.ProgLoad.ATTACH_BTF_OBJ_FD, spec.attachBtfObjFd());
        return attr;
    }

    /**
     * Writes an object name the kernel accepts: at most 15 bytes of [A-Za-z0-9_.] (the kernel rejects names
     * with other characters), NUL-terminated.
     */
    static void setName(MemorySegment attr, long offset, String name) {
        int n = 0;
        for (int i = 0; i < name.length() && n < 15; i++) {
            char c = name.charAt(i);
            if (c < 128 && (Character.isLetterOrDigit(c) || c == '_' || c == '.')) {
                attr.set(JAVA_BYTE, offset + n++, (byte) c);
            }
        }
    }

    private static BpfException loadFailure(ProgramSpec spec, int errno, String log) {
        String what = "program '" + spec.name() + "' (" + spec.type().displayName() + ")";
        List<String> decisive = decisiveLines(log);
        if (!decisive.isEmpty()) {
            String source = sourceLine(spec, log).map(l -> "\n  at " + l.location() + ": " + l.lineText().strip())
                    .orElse("");
            String msg = Bpf.message("loading " + what, errno, "the verifier rejected it:")
                    + "\n  " + String.join("\n  ", decisive) + source
                    + "\n(" + log.lines().count() + " lines of verifier log in VerifierException.log())";
            return new VerifierException(spec.name(), errno, log, msg);
        }
        return Bpf.failure(BpfCommand.PROG_LOAD, errno, what);
    }

    /** A verifier log line about one instruction: {@code 12: (61) r1 = *(u32 *)(r0 +0)}. */
    private static final java.util.regex.Pattern INSN_LINE = java.util.regex.Pattern.compile("^(\\d+): \\([0-9a-f]{2}\\)");

    /**
     * The source line of the instruction the verifier stopped at: the last instruction line of the log, mapped to
     * the nearest line info at or before it. Empty without line info or without an instruction line.
     */
    static java.util.Optional<BtfExt.LineInfo> sourceLine(ProgramSpec spec, String log) {
        if (spec.lineInfo().isEmpty()) return java.util.Optional.empty();
        int failing = failingInstruction(log);
        if (failing < 0) return java.util.Optional.empty();
        BtfExt.LineInfo best = null;
        for (BtfExt.LineInfo l : spec.lineInfo()) {
            if (l.insnOffset() <= failing && (best == null || l.insnOffset() >= best.insnOffset())) best = l;
        }
        return java.util.Optional.ofNullable(best);
    }

    /** The index of the last instruction the verifier log shows ({@code N: (xx) ...}), or -1. */
    static int failingInstruction(String log) {
        int last = -1;
        for (String line : log.lines().toList()) {
            java.util.regex.Matcher m = INSN_LINE.matcher(line);
            if (m.find()) {
                try {
                    last = Integer.parseInt(m.group(1));
                } catch (NumberFormatException ignored) {
                    // absurdly long number: not an instruction index
                }
            }
        }
        return last;
    }

    /**
     * The verifier's last lines before its statistics ("processed N insns", "verification time", "stack
     * depth"): where it stopped and why.
     */
    static List<String> decisiveLines(String log) {
        List<String> lines = log.lines()
                .filter(l -> !l.isBlank())
                .filter(l -> !l.startsWith("processed ") && !l.startsWith("verification time")
                        && !l.startsWith("stack depth"))
                .toList();
        return lines.subList(Math.max(0, lines.size() - DECISIVE_LINES), lines.size());
    }

    /** Opens the program with kernel id {@code id} (BPF_PROG_GET_FD_BY_ID), e.g. one listed by bpftool. */
    public static Program fromId(int id) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = Bpf.attr(arena);
            attr.set(JAVA_INT, BpfAttr.GetId.ID, id);
            int fd = Bpf.call(BpfCommand.PROG_GET_FD_BY_ID, attr, () -> "program id " + id);
            return adopt(fd);
        }
    }

    /** Opens the program pinned at {@code path}. */
    public static Program open(Path path) {
        return adopt(ObjectPath.get(path));
    }

    private static Program adopt(int fd) {
        Fd owned = Fd.adopt(fd);
        try {
            ProgramInfo info = ProgramInfo.of(fd);
            return new Program(owned, info.name(), info.type(), "");
        } catch (RuntimeException e) {
            owned.close();
            throw e;
        }
    }

    /** The program's file descriptor, for attaching it or putting it in a prog array. */
    public int fd() {
        return fd.value();
    }

    /** The name the program was loaded with. */
    public String name() {
        return name;
    }

    /** The program type. */
    public ProgramType type() {
        return type;
    }

    /** The verifier log of a load asked for with a log level, otherwise empty. */
    public String verifierLog() {
        return verifierLog;
    }

    /** What the kernel says about this program now: id, tag, sizes, run statistics… */
    public ProgramInfo info() {
        return ProgramInfo.of(fd.value());
    }

    /** Pins the program at {@code path} in bpffs (mounted at /sys/fs/bpf if it is not). */
    public void pin(Path path) {
        ObjectPath.pin(fd.value(), path);
    }

    /**
     * Runs the program once or {@code repeat} times on the given input without attaching it
     * (BPF_PROG_TEST_RUN): packet programs get a packet, tracing programs a context.
     */
    public TestRunResult testRun(TestRun run) {
        try (Arena arena = Arena.ofConfined()) {
            int dataOutSize = run.dataOutSize();
            while (true) {
                MemorySegment attr = Bpf.attr(arena);
                attr.set(JAVA_INT, BpfAttr.TestRun.PROG_FD, fd.value());
                MemorySegment dataOut = MemorySegment.NULL;
                if (run.data().length > 0) {
                    attr.set(JAVA_INT, BpfAttr.TestRun.DATA_SIZE_IN, run.data().length);
                    attr.set(JAVA_LONG, BpfAttr.TestRun.DATA_IN, arena.allocateFrom(JAVA_BYTE, run.data()).address());
                    // With data_out set, a data_size_out of 0 means "no limit" to the kernel, which would then
                    // write the whole packet into a 0-byte buffer: no room asked for means no data_out at all.
                    if (dataOutSize > 0) {
                        dataOut = arena.allocate(dataOutSize);
                        attr.set(JAVA_INT, BpfAttr.TestRun.DATA_SIZE_OUT, dataOutSize);
                        attr.set(JAVA_LONG, BpfAttr.TestRun.DATA_OUT, dataOut.address());
                    }
                }
                MemorySegment ctxOut = MemorySegment.NULL;
                if (run.context().length > 0) {
                    attr.set(JAVA_INT, BpfAttr.TestRun.CTX_SIZE_IN, run.context().length);
                    attr.set(JAVA_LONG, BpfAttr.TestRun.CTX_IN,
                            arena.allocateFrom(JAVA_BYTE, run.context()).address());
                }
                if (run.contextOutSize() > 0) {
                    ctxOut = arena.allocate(run.contextOutSize());
                    attr.set(JAVA_INT, BpfAttr.TestRun.CTX_SIZE_OUT, run.contextOutSize());
                    attr.set(JAVA_LONG, BpfAttr.TestRun.CTX_OUT, ctxOut.address());
                }
                attr.set(JAVA_INT, BpfAttr.TestRun.REPEAT, run.repeat());
                attr.set(JAVA_INT, BpfAttr.TestRun.FLAGS, run.flags());
                attr.set(JAVA_INT, BpfAttr.TestRun.CPU, run.cpu());
                attr.set(JAVA_INT, BpfAttr.TestRun.BATCH_SIZE, run.batchSize());
                int r = Bpf.tryCall(BpfCommand.PROG_TEST_RUN, attr);
                int needed = attr.get(JAVA_INT, BpfAttr.TestRun.DATA_SIZE_OUT);
                if (r == -Errno.ENOSPC.code() && needed > dataOutSize) {
                    dataOutSize = needed; // the program grew the packet: run again with room for all of it
                    continue;
                }
                if (r < 0) throw Bpf.failure(BpfCommand.PROG_TEST_RUN, -r, "program '" + name + "'");
                byte[] data = dataOut.equals(MemorySegment.NULL) ? new byte[0]
                        : dataOut.asSlice(0, Math.min(needed, dataOutSize)).toArray(JAVA_BYTE);
                int ctxSize = attr.get(JAVA_INT, BpfAttr.TestRun.CTX_SIZE_OUT);
                byte[] ctx = ctxOut.equals(MemorySegment.NULL) ? new byte[0]
                        : ctxOut.asSlice(0, Math.min(ctxSize, run.contextOutSize())).toArray(JAVA_BYTE);
                return new TestRunResult(attr.get(JAVA_INT, BpfAttr.TestRun.RETVAL), data, ctx,
                        Duration.ofNanos(Integer.toUnsignedLong(attr.get(JAVA_INT, BpfAttr.TestRun.DURATION))));
            }
        }
    }

    /** Releases this process's hold on the program. Idempotent. */
    @Override
    public void close() {
        fd.close();
    }

    @Override
    public String toString() {
        return "Program[" + name + ", " + type.displayName() + ", " + fd + "]";
    }

    /** Raises RLIMIT_MEMLOCK once per process, ignoring failure (kernels ≥ 5.11 account memory by cgroup). */
    static final class Memlock {
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
