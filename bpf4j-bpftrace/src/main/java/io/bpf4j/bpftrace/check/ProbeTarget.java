package io.bpf4j.bpftrace.check;

import io.bpf4j.core.link.TracepointFormat;
import java.nio.file.Path;

/** One concrete place a probe block runs: an attach point with its wildcards expanded and its aliases resolved. */
public sealed interface ProbeTarget {
    /** The full name as bpftrace's {@code probe} builtin prints it, e.g. {@code tracepoint:syscalls:sys_enter_read}. */
    String name();

    /** {@code BEGIN}: runs once before the other probes are attached. */
    record Begin() implements ProbeTarget {
        @Override
        public String name() {
            return "BEGIN";
        }
    }

    /** {@code END}: runs once when the program ends. */
    record End() implements ProbeTarget {
        @Override
        public String name() {
            return "END";
        }
    }

    /** {@code tracepoint:CATEGORY:NAME}, with its record layout. */
    record Tracepoint(TracepointFormat format) implements ProbeTarget {
        @Override
        public String name() {
            return "tracepoint:" + format.category() + ":" + format.name();
        }
    }

    /** {@code interval:UNIT:N}: every {@code periodNs} on one CPU. */
    record Interval(String text, long periodNs) implements ProbeTarget {
        @Override
        public String name() {
            return text;
        }
    }

    /** {@code profile:UNIT:N}: on every CPU, {@code rate} times a second ({@code hz}) or every {@code rate} ns. */
    record Profile(String text, long rate, boolean hz) implements ProbeTarget {
        @Override
        public String name() {
            return text;
        }
    }

    /** {@code software:EVENT:COUNT}: every {@code count} occurrences of a perf software event. */
    record Software(String text, String event, long count) implements ProbeTarget {
        @Override
        public String name() {
            return text;
        }
    }

    /** {@code uprobe:BINARY:SYMBOL} or {@code uretprobe:…}. */
    record Uprobe(Path binary, String symbol, boolean ret) implements ProbeTarget {
        @Override
        public String name() {
            return (ret ? "uretprobe:" : "uprobe:") + binary + ":" + symbol;
        }
    }

    /**
     * One site of a USDT probe {@code usdt:BINARY:PROVIDER:NAME} ({@code path} as written or found, {@code binary}
     * the file to attach to), with its arguments' locations.
     */
    record Usdt(Path binary, String path, io.bpf4j.core.link.Usdt.Probe site) implements ProbeTarget {
        @Override
        public String name() {
            return "usdt:" + path + ":" + site.provider() + ":" + site.name();
        }
    }
}
