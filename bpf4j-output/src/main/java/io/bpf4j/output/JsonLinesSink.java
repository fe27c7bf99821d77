package io.bpf4j.output;

import io.bpf4j.core.events.BtfRecord;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code --output json:FILE}: one JSON object per line — each event with {@code "event"}, {@code "ts"} (ns,
 * CLOCK_MONOTONIC), {@code "cpu"} and its fields; {@code {"lost": N, "cpu": C}} for lost events; histograms and
 * stacks as the tools' {@code --json} prints them.
 */
public final class JsonLinesSink implements Sink {
    private final BufferedWriter out;
    private long bytes;

    /** Creates (or truncates) {@code file}. */
    public JsonLinesSink(Path file) throws IOException {
        this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
    }

    /** The fields of {@code r} as JSON-ready data, nested structs as nested objects. */
    public static Map<String, Object> fields(BtfRecord r) {
        Map<String, Object> m = new LinkedHashMap<>(r.asMap());
        m.replaceAll((k, v) -> v instanceof BtfRecord nested ? fields(nested) : v);
        return m;
    }

    @Override
    public void event(TraceEvent e) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("event", e.type().name());
        m.put("ts", e.timestampNs());
        m.put("cpu", e.cpu());
        m.putAll(fields(e.record()));
        line(m);
    }

    @Override
    public void lost(int cpu, long count) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("lost", count);
        m.put("cpu", cpu);
        line(m);
    }

    @Override
    public void histogram(Histogram h) throws IOException {
        line(Map.of("histogram", h.toJson()));
    }

    @Override
    public void stacks(StackCounts s) throws IOException {
        for (StackCounts.Stack st : s.stacks()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("process", st.process());
            m.put("stack", st.frames().stream().map(Object::toString).toList());
            m.put(s.unit(), st.count());
            line(m);
        }
    }

    private void line(Map<String, Object> m) throws IOException {
        String s = Json.write(m);
        out.write(s);
        out.write('\n');
        bytes += s.length() + 1;
    }

    @Override
    public long bytesWritten() {
        return bytes;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
