package io.bpf4j.output.recorder;

import io.bpf4j.core.format.IoErrors;
import io.bpf4j.output.JsonLinesSink;
import io.bpf4j.output.Sink;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code --output KIND:PATH} flag of every tool and of {@code bpf4j run}: parses the specs and opens one
 * {@link Sink} each. Kinds: {@code json:FILE} (JSON lines), {@code folded:FILE} (folded stacks),
 * {@code flamegraph:FILE.html} (an interactive flame graph), {@code pprof:FILE.pb.gz} (stacks as a pprof profile),
 * {@code perfetto:FILE} (Chrome/Perfetto trace JSON), {@code jfr:FILE.jfr} (a Java Flight Recorder recording),
 * {@code ctf:DIR} (a Common Trace Format trace for babeltrace2 and Trace Compass).
 */
public final class Outputs {
    private Outputs() {
    }

    /** The kinds {@link #open} accepts, for help texts and error messages. */
    public static final List<String> KINDS = List.of("ctf", "json", "folded", "flamegraph", "pprof", "perfetto",
            "jfr");

    /**
     * Opens one sink per spec ({@code KIND:PATH}).
     *
     * @throws IllegalArgumentException when a spec has no kind, or a kind that does not exist
     */
    public static List<Sink> open(List<String> specs) throws IOException {
        List<Sink> sinks = new ArrayList<>();
        try {
            for (String spec : specs) sinks.add(open(spec));
        } catch (IOException | RuntimeException e) {
            for (Sink s : sinks) {
                try {
                    s.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
        return sinks;
    }

    /**
     * Checks a spec without opening anything: a known kind, a colon, a path.
     *
     * @throws IllegalArgumentException saying what is wrong with it, e.g. "'bogus:x': unknown kind 'bogus'; the
     *                                  kinds are ctf, json, …"
     */
    public static void check(String spec) {
        int colon = spec.indexOf(':');
        if (colon <= 0 || colon == spec.length() - 1) {
            throw new IllegalArgumentException("'" + spec + "' is not KIND:PATH (KIND one of "
                    + String.join(", ", KINDS) + ")");
        }
        String kind = spec.substring(0, colon);
        if (!KINDS.contains(kind)) {
            throw new IllegalArgumentException("'" + spec + "': unknown kind '" + kind + "'; the kinds are "
                    + String.join(", ", KINDS));
        }
    }

    /**
     * Opens the sink one spec ({@code KIND:PATH}) names.
     *
     * @throws IllegalArgumentException when the spec is malformed (see {@link #check})
     * @throws IOException              when its file or directory cannot be created; the message names the spec,
     *                                  the path and why ("no such file or directory", "permission denied"…)
     */
    public static Sink open(String spec) throws IOException {
        try {
            check(spec);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--output " + e.getMessage(), e);
        }
        int colon = spec.indexOf(':');
        String kind = spec.substring(0, colon);
        Path path = Path.of(spec.substring(colon + 1));
        try {
            return switch (kind) {
                case "ctf" -> new io.bpf4j.output.ctf.CtfSink(path);
                case "json" -> new JsonLinesSink(path);
                case "folded" -> new io.bpf4j.output.flame.FoldedSink(path);
                case "flamegraph" -> new io.bpf4j.output.flame.FlameGraphSink(path);
                case "pprof" -> new io.bpf4j.output.pprof.PprofSink(path);
                case "perfetto" -> new io.bpf4j.output.perfetto.PerfettoSink(path);
                case "jfr" -> new io.bpf4j.output.jfr.JfrSink(path);
                default -> throw new IllegalStateException("kind " + kind + " passed check()");
            };
        } catch (IOException e) {
            throw new IOException("--output " + spec + ": cannot create " + IoErrors.describe(e, path), e);
        }
    }
}
