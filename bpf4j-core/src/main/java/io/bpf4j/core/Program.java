package io.bpf4j.core;

import io.bpf4j.core.btf.BtfExt;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.error.Errno;
import io.bpf4j.core.internal.Bpf;
import io.bpf4j.core.internal.BpfCommand;
import io.bpf4j.core.internal.ObjectPath;
import io.bpf4j.core.internal.ProgLoadAttr;
import io.bpf4j.core.kernel.Fd;
import io.bpf4j.core.object.AttachType;
import io.bpf4j.core.object.ProgramSpec;
import io.bpf4j.core.object.ProgramType;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A program loaded into the kernel. Owns its file descriptor: {@link #close()} releases it (the kernel frees
 * the program once nothing else — a link, a pin, a prog array — holds it).
 */
public final class Program implements AutoCloseable {
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
        ProgLoadAttr attr = loadAttr(spec);
        if (logLevel == 0) {
            int fd = Bpf.progLoad(attr);
            if (fd >= 0) return new Program(Fd.adopt(fd), spec.name(), spec.type(), "");
            if (-fd == Errno.EPERM.code()) throw loadFailure(spec, -fd, "");
        }
        Bpf.Loaded loaded = Bpf.progLoad(attr, Math.max(logLevel, 1));
        if (loaded.fd() >= 0) {
            return new Program(Fd.adopt(loaded.fd()), spec.name(), spec.type(), logLevel != 0 ? loaded.log() : "");
        }
        throw loadFailure(spec, -loaded.fd(), loaded.log());
    }

    private static ProgLoadAttr loadAttr(ProgramSpec spec) {
        List<ProgramSpec.FuncInfo> funcs = spec.funcInfo();
        int[] funcInfo = new int[2 * funcs.size()];
        for (int i = 0; i < funcs.size(); i++) {
            funcInfo[2 * i] = funcs.get(i).insnOffset();
            funcInfo[2 * i + 1] = funcs.get(i).typeId();
        }
        List<BtfExt.LineInfo> lines = spec.lineInfo();
        int[] lineInfo = new int[4 * lines.size()];
        for (int i = 0; i < lines.size(); i++) {
            BtfExt.LineInfo l = lines.get(i);
            lineInfo[4 * i] = l.insnOffset();
            lineInfo[4 * i + 1] = l.fileNameOff();
            lineInfo[4 * i + 2] = l.lineOff();
            lineInfo[4 * i + 3] = l.lineCol();
        }
        return new ProgLoadAttr(spec.type().code(), spec.instructions().toBytes(), spec.license(),
                spec.kernVersion(), spec.flags(), spec.name(),
                spec.expectedAttachType().map(AttachType::code).orElse(0), spec.btfFd(), funcInfo, lineInfo,
                spec.attachBtfId(), spec.attachBtfObjFd());
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
        // from the end: a rejected loop leaves a log of a million lines
        for (String line : VerifierException.linesFromEnd(log)) {
            java.util.regex.Matcher m = INSN_LINE.matcher(line);
            if (m.find()) {
                try {
                    return Integer.parseInt(m.group(1));
                } catch (NumberFormatException ignored) {
                    // absurdly long number: not an instruction index
                }
            }
        }
        return -1;
    }

    /**
     * The verifier's last lines before its statistics ("processed N insns", "verification time", "stack
     * depth"): where it stopped and why.
     */
    static List<String> decisiveLines(String log) {
        List<String> lines = new java.util.ArrayList<>(DECISIVE_LINES);
        for (String l : VerifierException.linesFromEnd(log)) {
            if (lines.size() == DECISIVE_LINES) break;
            if (l.isBlank() || l.startsWith("processed ") || l.startsWith("verification time")
                    || l.startsWith("stack depth")) {
                continue;
            }
            lines.addFirst(l);
        }
        return lines;
    }

    /** Opens the program with kernel id {@code id} (BPF_PROG_GET_FD_BY_ID), e.g. one listed by bpftool. */
    public static Program fromId(int id) {
        return adopt(Bpf.getFdById(Bpf.ObjType.PROG, id));
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
        int dataOutSize = run.dataOutSize();
        while (true) {
            Bpf.TestRunOut out = Bpf.progTestRun(fd.value(), run.data(), dataOutSize, run.context(),
                    run.contextOutSize(), run.repeat(), run.flags(), run.cpu(), run.batchSize());
            if (out.result() == -Errno.ENOSPC.code() && out.dataSizeOut() > dataOutSize) {
                dataOutSize = out.dataSizeOut(); // the program grew the packet: run again with room for all of it
                continue;
            }
            if (out.result() < 0) {
                throw Bpf.failure(BpfCommand.PROG_TEST_RUN, -out.result(), "program '" + name + "'");
            }
            return new TestRunResult(out.retval(), out.dataOut() == null ? new byte[0] : out.dataOut(),
                    out.ctxOut() == null ? new byte[0] : out.ctxOut(),
                    Duration.ofNanos(Integer.toUnsignedLong(out.duration())));
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
}
