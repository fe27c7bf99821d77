package io.bpf4j.tools;

import io.bpf4j.core.Cpus;
import io.bpf4j.output.recorder.Outputs;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The types of the tools' numeric options, checked once, here, when the command line is parsed: a process or
 * thread that exists, a positive number of seconds, a positive interval or count, a threshold from 0, a CPU this
 * machine has, a port. Each is a picocli converter named in the option's declaration
 * ({@code @Option(names = "-p", converter = OptionTypes.Pid.class)}); a value it refuses is a usage error — one line
 * naming the option and what it takes, exit code 2 — before anything is loaded into the kernel. So {@code -p -1},
 * {@code -d 0} or an interval of {@code 99999999999999999999} never start a tool that traces nothing or forever.
 */
public final class OptionTypes {
    private OptionTypes() {
    }

    /** The longest duration or interval accepted, in seconds: 2<sup>31</sup>-1 (68 years). */
    public static final long MAX_SECONDS = Integer.MAX_VALUE;

    /** A whole number from {@code min} to {@code max}; {@code what} names it in the message ("a count"). */
    public abstract static class LongRange implements ITypeConverter<Long> {
        private final long min;
        private final long max;
        private final String what;

        protected LongRange(long min, long max, String what) {
            this.min = min;
            this.max = max;
            this.what = what;
        }

        @Override
        public Long convert(String value) {
            return whole(value, min, max, what);
        }
    }

    /** As {@link LongRange}, for {@code int} options. */
    public abstract static class IntRange implements ITypeConverter<Integer> {
        private final int min;
        private final int max;
        private final String what;

        protected IntRange(int min, int max, String what) {
            this.min = min;
            this.max = max;
            this.what = what;
        }

        @Override
        public Integer convert(String value) {
            return (int) whole(value, min, max, what);
        }
    }

    /**
     * {@code value} as a whole number from {@code min} to {@code max}, or a {@link TypeConversionException} that
     * says what it should be ("'-1' is not a count: a whole number from 1").
     */
    public static long whole(String value, long min, long max, String what) {
        String v = value.strip();
        long n;
        try {
            // (not BigInteger or BigDecimal: initialising those classes costs a tool 10-15 ms of its start)
            n = Long.parseLong(v.startsWith("+") ? v.substring(1) : v);
        } catch (NumberFormatException notANumberOrBeyondLong) {
            throw new TypeConversionException("'" + value + "' is not " + what + ": " + range(min, max));
        }
        if (n < min || n > max) {
            throw new TypeConversionException("'" + value + "' is not " + what + ": " + range(min, max));
        }
        return n;
    }

    private static String range(long min, long max) {
        if (max == Long.MAX_VALUE || max == Integer.MAX_VALUE) return "a whole number from " + min;
        return "a whole number from " + min + " to " + max;
    }

    /** {@code -p PID}: a process that exists now. */
    public static final class Pid implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            int pid = (int) whole(value, 1, Integer.MAX_VALUE, "a process ID");
            if (!Files.exists(Path.of("/proc", Integer.toString(pid)))) {
                throw new TypeConversionException("no process " + pid);
            }
            return pid;
        }
    }

    /** {@code -t TID}: a thread that exists now (its /proc entry is there, if not listed). */
    public static final class Tid implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            int tid = (int) whole(value, 1, Integer.MAX_VALUE, "a thread ID");
            if (!Files.exists(Path.of("/proc", Integer.toString(tid)))) {
                throw new TypeConversionException("no thread " + tid);
            }
            return tid;
        }
    }

    /** {@code -u UID}: a user ID, 0 (root) included; it need not have an account. */
    public static final class Uid extends IntRange {
        public Uid() {
            super(0, Integer.MAX_VALUE, "a user ID");
        }
    }

    /** A port to filter on, 1 to 65535 (0 is no port). */
    public static final class Port extends IntRange {
        public Port() {
            super(1, 65535, "a port");
        }
    }

    /** An interval in whole seconds, from 1. */
    public static final class Interval extends IntRange {
        public Interval() {
            super(1, Integer.MAX_VALUE, "an interval in seconds");
        }
    }

    /** An interval in whole seconds where 0 means none (syscount's and kmemtrace's {@code -i}: print at the end). */
    public static final class IntervalOrNone extends IntRange {
        public IntervalOrNone() {
            super(0, Integer.MAX_VALUE, "an interval in seconds (0: none)");
        }
    }

    /** How many intervals, events or rows: from 1. */
    public static final class Count extends IntRange {
        public Count() {
            super(1, Integer.MAX_VALUE, "a count");
        }
    }

    /** As {@link Count}, for {@code long} options. */
    public static final class LongCount extends LongRange {
        public LongCount() {
            super(1, Long.MAX_VALUE, "a count");
        }
    }

    /** A number of bytes, 0 included (a minimum size). */
    public static final class Bytes extends LongRange {
        public Bytes() {
            super(0, Long.MAX_VALUE, "a size in bytes");
        }
    }

    /** A number of bytes from 1 (a maximum size). */
    public static final class PositiveBytes extends LongRange {
        public PositiveBytes() {
            super(1, Long.MAX_VALUE, "a size in bytes");
        }
    }

    /** A time in microseconds, 0 included (a threshold); small enough to be counted in nanoseconds. */
    public static final class Micros extends LongRange {
        public Micros() {
            super(0, Long.MAX_VALUE / 1000, "a time in microseconds");
        }
    }

    /** A time in microseconds from 1 (an upper bound); small enough to be counted in nanoseconds. */
    public static final class PositiveMicros extends LongRange {
        public PositiveMicros() {
            super(1, Long.MAX_VALUE / 1000, "a time in microseconds");
        }
    }

    /** A time in milliseconds, 0 included (an age threshold); small enough to be counted in nanoseconds. */
    public static final class Millis extends LongRange {
        public Millis() {
            super(0, Long.MAX_VALUE / 1_000_000, "a time in milliseconds");
        }
    }

    /** A time in milliseconds from 1 (a window), at most a day. */
    public static final class PositiveMillis extends LongRange {
        public PositiveMillis() {
            super(1, 86_400_000, "a time in milliseconds");
        }
    }

    /** A rate or threshold from 1 (packets per second…), at most 10<sup>12</sup>. */
    public static final class Rate extends LongRange {
        public Rate() {
            super(1, 1_000_000_000_000L, "a rate");
        }
    }

    /** A bit mask of task states, 0 (TASK_RUNNING) included. */
    public static final class StateMask extends LongRange {
        public StateMask() {
            super(0, Integer.MAX_VALUE, "a task state mask");
        }
    }

    /** How many distinct stacks a stack map holds: from 1. */
    public static final class StackStorage extends IntRange {
        public StackStorage() {
            super(1, 1 << 24, "a number of stacks");
        }
    }

    /** How many frames a stack has at most: 1 to the kernel's limit (kernel.perf_event_max_stack, 127). */
    public static final class StackDepth extends IntRange {
        public StackDepth() {
            super(1, io.bpf4j.core.object.MapSpec.MAX_STACK_DEPTH, "a stack depth");
        }
    }

    /**
     * A duration in seconds, decimals allowed ({@code 0.5}), above 0 and at most {@link #MAX_SECONDS}, as a
     * {@link Duration} (to the nanosecond).
     */
    public static final class Seconds implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            // parsed by hand, not with BigDecimal: initialising that class costs a tool 10-15 ms of its start
            String v = value.strip();
            boolean negative = v.startsWith("-");
            if (negative || v.startsWith("+")) v = v.substring(1);
            int dot = v.indexOf('.');
            String whole = stripLeading(dot < 0 ? v : v.substring(0, dot), '0');
            String fraction = dot < 0 ? "" : v.substring(dot + 1);
            if (v.equals(".") || v.isEmpty() || !digits(whole) || !digits(fraction)) {
                throw new TypeConversionException("'" + value + "' is not a number of seconds (e.g. 5 or 0.5)");
            }
            String decimals = stripTrailing(fraction, '0');
            if (negative || whole.isEmpty() && decimals.isEmpty()) {
                throw new TypeConversionException("'" + value + "' is not a duration: a number of seconds above 0");
            }
            long seconds = whole.length() > 10 ? Long.MAX_VALUE : whole.isEmpty() ? 0 : Long.parseLong(whole);
            if (seconds > MAX_SECONDS || seconds == MAX_SECONDS && !decimals.isEmpty()) {
                throw new TypeConversionException("'" + value + "' seconds is too long: at most " + MAX_SECONDS
                        + " (68 years)");
            }
            // the first nine decimals are the nanoseconds, rounded up when more follow (1e-10 s is 1 ns, not 0)
            long nanos = seconds * 1_000_000_000L + Long.parseLong((decimals + "000000000").substring(0, 9))
                    + (decimals.length() > 9 ? 1 : 0);
            return Duration.ofNanos(nanos);
        }

        private static String stripLeading(String s, char c) {
            int i = 0;
            while (i < s.length() && s.charAt(i) == c) i++;
            return s.substring(i);
        }

        private static String stripTrailing(String s, char c) {
            int i = s.length();
            while (i > 0 && s.charAt(i - 1) == c) i--;
            return s.substring(0, i);
        }

        private static boolean digits(String s) {
            for (int i = 0; i < s.length(); i++) {
                if (s.charAt(i) < '0' || s.charAt(i) > '9') return false;
            }
            return true;
        }

        /** {@code d} in seconds as bcc and a user write them: "5", "0.5", "0.000001". */
        public static String format(Duration d) {
            long nanos = d.toNanos();
            String s = Long.toString(nanos / 1_000_000_000L);
            long frac = nanos % 1_000_000_000L;
            if (frac == 0) return s;
            return s + "." + stripTrailing(Long.toString(1_000_000_000L + frac).substring(1), '0');
        }
    }

    /** {@code -C CPU}: a CPU this machine has (online now). */
    public static final class Cpu implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            int cpu = (int) whole(value, 0, Integer.MAX_VALUE, "a CPU number");
            List<Integer> online = Cpus.online();
            if (!online.contains(cpu)) {
                throw new TypeConversionException("CPU " + cpu + " does not exist here (CPUs online: "
                        + cpuList(online) + ")");
            }
            return cpu;
        }

        private static String cpuList(List<Integer> cpus) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < cpus.size(); i++) {
                int from = cpus.get(i), to = from;
                while (i + 1 < cpus.size() && cpus.get(i + 1) == to + 1) to = cpus.get(++i);
                if (!b.isEmpty()) b.append(',');
                b.append(from == to ? String.valueOf(from) : from + "-" + to);
            }
            return b.toString();
        }
    }

    /**
     * {@code -F HZ}: a sampling frequency from 1 to the kernel's limit
     * ({@code /proc/sys/kernel/perf_event_max_sample_rate}).
     */
    public static final class Frequency implements ITypeConverter<Long> {
        static final Path MAX_RATE = Path.of("/proc/sys/kernel/perf_event_max_sample_rate");

        @Override
        public Long convert(String value) {
            long max = maxRate();
            long hz = whole(value, 1, max == 0 ? Integer.MAX_VALUE : max, "a frequency in Hertz");
            return hz;
        }

        private static long maxRate() {
            // in one read from offset 0: a sysctl file read a byte at a time (as Files.readString reads a file of
            // size 0) gives its first byte, then nothing
            try (var in = Files.newInputStream(MAX_RATE)) {
                return Long.parseLong(new String(in.readNBytes(64), java.nio.charset.StandardCharsets.US_ASCII).strip());
            } catch (IOException | NumberFormatException unreadable) {
                return 0;
            }
        }
    }

    /** {@code --buffer-kb KB}: a BPF ring buffer's size, a power of two of at least 4 KiB (a page). */
    public static final class BufferKb implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            int kb = (int) whole(value, 4, 1 << 20, "a ring buffer size in KiB");
            if (Integer.bitCount(kb) != 1) {
                throw new TypeConversionException("'" + value + "' is not a ring buffer size in KiB: a power of two "
                        + "from 4 to " + (1 << 20) + " (4, 8, 16…)");
            }
            return kb;
        }
    }

    /** {@code --output KIND:PATH}: a known kind and a path (the file is created when the tool starts). */
    public static final class Output implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            try {
                Outputs.check(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
            return value;
        }
    }
}
