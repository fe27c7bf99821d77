package io.bpf4j.tools;

import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;

/**
 * The options many tools share, declared once as picocli mixins ({@code @Mixin CommonOptions.Timestamp timestamp;}),
 * with libbpf-tools' names and meanings; and the one {@code HH:mm:ss} clock they print. Tools whose {@code -d} or
 * {@code -T} means something else ({@code -d} delimited, {@code -T} top) declare their own.
 */
public final class CommonOptions {
    private static final DateTimeFormatter HMS = DateTimeFormatter.ofPattern("HH:mm:ss");

    private CommonOptions() {
    }

    /** The wall-clock time as the tools print it in their time columns and headers: {@code HH:mm:ss}. */
    public static String time() {
        return LocalTime.now().format(HMS);
    }

    /** {@code -d/--duration SECONDS}: trace for this long (unset: until Ctrl-C). */
    public static final class TraceDuration {
        @Option(names = {"-d", "--duration"}, paramLabel = "SECONDS", converter = OptionTypes.Seconds.class,
                description = "Trace for this long.")
        Duration duration;

        /** The duration given, or null for none. */
        public Duration get() {
            return duration;
        }
    }

    /** {@code -T/--timestamp}: a time line before each interval's output. */
    public static final class Timestamp {
        @Option(names = {"-T", "--timestamp"}, description = "Include timestamp on output.")
        boolean timestamp;

        /** Prints the time on a line of its own when {@code -T} was given and the output is text. */
        public void print(ToolSession s) {
            if (timestamp && !s.json()) s.out().println(time());
        }
    }

    /**
     * {@code interval [count]}: print (and reset) the aggregates every interval seconds, count times; without an
     * interval, once at the end.
     */
    public static final class Intervals {
        @Parameters(index = "0", arity = "0..1", paramLabel = "interval", converter = OptionTypes.Interval.class,
                description = "Print every interval (s).")
        Integer interval;

        @Parameters(index = "1", arity = "0..1", paramLabel = "count", converter = OptionTypes.Count.class,
                description = "Stop after this many intervals.")
        Integer count;

        /**
         * Runs the session's loop for {@code duration} (null: no limit), calling {@code print} every interval, and
         * once more at the end when there was no interval or a signal (or a closed stdout, or a watched target gone)
         * cut the last one short.
         *
         * @return whether a signal, a closed stdout or a watch ended the loop
         */
        public boolean loop(ToolSession s, Duration duration, Runnable print) {
            boolean signalled = s.loop(duration, interval == null ? null : Duration.ofSeconds(interval), count, print);
            if (interval == null || signalled) print.run();
            return signalled;
        }
    }
}
