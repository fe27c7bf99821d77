package io.bpf4j.core.link;

import io.bpf4j.core.BpfException;
import io.bpf4j.core.Errno;
import io.bpf4j.core.Program;
import io.bpf4j.core.ProgramType;
import io.bpf4j.core.sys.Bpf;
import io.bpf4j.core.sys.Fd;
import io.bpf4j.core.sys.ObjectPath;
import io.bpf4j.core.sys.PerfEventAttr;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Attaches tracepoint programs (type {@link ProgramType#TRACEPOINT}) to the kernel's static tracepoints,
 * {@code category:name} as tracefs lists them (e.g. {@code syscalls:sys_enter_openat}, {@code sched:sched_switch}).
 * <p>
 * The tracepoint is opened as a perf event (PERF_TYPE_TRACEPOINT, all processes, CPU 0 — tracepoint events fire
 * on every CPU whatever the cpu argument) and the program attached to it through a BPF link (BPF_LINK_CREATE with
 * BPF_PERF_EVENT, Linux 5.15+), falling back to PERF_EVENT_IOC_SET_BPF on older kernels. The returned
 * {@link Link} owns the perf event too. Closing it costs tens of milliseconds (the kernel waits for the tracepoint
 * to be quiescent); attach a raw tracepoint ({@link RawTracepoint}) where that matters.
 */
public final class Tracepoint {
    private Tracepoint() {
    }

    /**
     * Attaches {@code program} to the tracepoint {@code category:name}, mounting tracefs at /sys/kernel/tracing
     * if it is not mounted.
     *
     * @throws IllegalArgumentException when the program is not a tracepoint program, or the tracepoint does not
     *                                  exist (the message lists close matches)
     * @throws BpfException             when the kernel refuses the perf event or the attachment
     */
    public static Link attach(Program program, String category, String name) {
        return attach(program, category, name, 0);
    }

    /**
     * As {@link #attach(Program, String, String)}, with a BPF cookie the program reads with
     * {@code bpf_get_attach_cookie()} (only through a BPF link: the ioctl fallback cannot carry one).
     */
    public static Link attach(Program program, String category, String name, long cookie) {
        if (program.type() != ProgramType.TRACEPOINT) {
            throw new IllegalArgumentException("program '" + program.name() + "' is " + program.type().displayName()
                    + ", but only tracepoint programs attach to tracepoints (raw_tracepoint programs: see "
                    + "RawTracepoint)");
        }
        int id = id(category, name);
        String what = "tracepoint '" + program.name() + "' on " + category + ":" + name;
        Fd perf = open(id, what);
        try {
            return PerfLinks.attach(program, perf, cookie, what);
        } catch (RuntimeException e) {
            perf.close();
            throw e;
        }
    }

    /**
     * The tracefs {@code events} directory (one directory per category, one per tracepoint below it, each with
     * its {@code id} and {@code format}), mounting tracefs at /sys/kernel/tracing if it is not mounted.
     */
    public static Path eventsDirectory() {
        return ObjectPath.ensureTraceFs().resolve("events");
    }

    /** The tracepoint's id from tracefs events/CATEGORY/NAME/id. */
    public static int id(String category, String name) {
        if (category.isEmpty() || name.isEmpty() || category.contains("/") || name.contains("/")
                || category.startsWith(".") || name.startsWith(".")) {
            throw new IllegalArgumentException("not a tracepoint name: '" + category + ":" + name + "'");
        }
        Path events = eventsDirectory();
        Path file = events.resolve(category).resolve(name).resolve("id");
        try {
            return Integer.parseInt(Files.readString(file).strip());
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(notFound(events, category, name), e);
        } catch (IOException | NumberFormatException e) {
            throw new BpfException("tracepoint id", 0, "could not read the id of tracepoint " + category + ":"
                    + name + " from " + file + ": " + e, e);
        }
    }

    private static Fd open(int id, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = PerfEventAttr.allocate(arena, PerfEventAttr.TYPE_TRACEPOINT, id);
            // sample_period 1, wakeup_events 1, as perf and libbpf set them: the program runs on every hit.
            attr.set(JAVA_LONG, PerfEventAttr.SAMPLE_PERIOD, 1);
            attr.set(JAVA_INT, PerfEventAttr.WAKEUP_EVENTS, 1);
            int fd = PerfEventAttr.open(attr, -1, 0, -1, 0);
            if (fd < 0) {
                String hint = switch (Errno.of(-fd)) {
                    case EACCES, EPERM -> "opening a tracepoint for all processes needs root or CAP_PERFMON";
                    case ENOENT, ENODEV -> "the kernel has no such tracepoint event (id " + id + ")";
                    default -> null;
                };
                throw new BpfException("perf_event_open", -fd, Bpf.message("perf_event_open for " + what, -fd, hint));
            }
            return Fd.adopt(fd);
        }
    }

    /** "no tracepoint X:Y; did you mean …" with up to 8 names close to the one asked for. */
    static String notFound(Path events, String category, String name) {
        if (!Files.isDirectory(events.resolve(category))) {
            List<String> near = closest(list(events), category);
            return "no tracepoint category '" + category + "' in " + events
                    + (near.isEmpty() ? "" : "; close matches: " + String.join(", ", near));
        }
        List<String> near = closest(list(events.resolve(category)), name);
        return "no tracepoint " + category + ":" + name + " in " + events.resolve(category)
                + (near.isEmpty() ? "" : "; close matches: "
                + String.join(", ", near.stream().map(n -> category + ":" + n).toList()));
    }

    private static List<String> list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** Names that contain {@code wanted} (or it them) first, then those at the smallest edit distances. */
    static List<String> closest(List<String> names, String wanted) {
        int limit = Math.max(2, wanted.length() / 3);
        return names.stream()
                .map(n -> new Match(n, n.contains(wanted) || wanted.contains(n) ? 0 : 1 + distance(n, wanted)))
                .filter(m -> m.score() <= limit + 1)
                .sorted(Comparator.comparingInt(Match::score).thenComparing(Match::name))
                .limit(8)
                .map(Match::name)
                .toList();
    }

    private record Match(String name, int score) {
    }

    /** Levenshtein distance. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
