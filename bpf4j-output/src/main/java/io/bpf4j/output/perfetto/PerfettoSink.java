package io.bpf4j.output.perfetto;

import io.bpf4j.core.events.BtfRecord;
import io.bpf4j.output.Json;
import io.bpf4j.output.JsonLinesSink;
import io.bpf4j.output.Sink;
import io.bpf4j.output.TraceEvent;
import io.bpf4j.output.TraceInfo;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * {@code --output perfetto:FILE}: the Chrome trace-event JSON that Perfetto ({@code ui.perfetto.dev}) and
 * {@code chrome://tracing} open. It is the JSON Array Format — {@code [event, event, …]} — whose closing bracket
 * readers do not require, so a recording cut short still opens.
 * <ul>
 *   <li>An event whose type has a duration field is a complete slice ({@code "ph":"X"}) ending at its timestamp;
 *       any other is an instant ({@code "ph":"i"}, thread scope). Its fields are the slice's {@code args}.</li>
 *   <li>Processes and threads are the event's {@code pid} and {@code tid} fields (0 when it has none); the first
 *       event of each names it ({@code "ph":"M"} process_name and thread_name) from its {@code comm} field.</li>
 *   <li>Lost events are a counter track, {@code lost events}, per CPU.</li>
 * </ul>
 * Timestamps are CLOCK_MONOTONIC microseconds, as the kernel took them.
 */
public final class PerfettoSink implements Sink {
    private final BufferedWriter out;
    private final Set<Long> namedThreads = new HashSet<>();
    private final Set<Long> namedProcesses = new HashSet<>();
    private final Map<Integer, Long> lostPerCpu = new HashMap<>();
    private boolean first = true;
    private long bytes;
    private long lastTs;

    /** Creates (or truncates) {@code file}. */
    public PerfettoSink(Path file) throws IOException {
        this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
        write("[");
    }

    @Override
    public void open(TraceInfo info) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", "process_name");
        m.put("ph", "M");
        m.put("pid", 0);
        m.put("args", Map.of("name", info.tool() + " on " + info.hostname()));
        event(m);
    }

    @Override
    public void event(TraceEvent e) throws IOException {
        BtfRecord r = e.record();
        long pid = field(r, "pid"), tid = r.fieldNames().contains("tid") ? field(r, "tid") : pid;
        String comm = r.fieldNames().contains("comm") ? r.getString("comm") : null;
        if (comm != null && namedProcesses.add(pid)) name("process_name", pid, pid, comm);
        if (comm != null && namedThreads.add(tid)) name("thread_name", pid, tid, comm);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", e.type().name());
        m.put("cat", "bpf4j");
        long dur = e.durationNs();
        if (e.type().duration().isPresent()) {
            m.put("ph", "X");
            m.put("ts", micros(e.timestampNs() - dur));
            m.put("dur", micros(dur));
        } else {
            m.put("ph", "i");
            m.put("s", "t");
            m.put("ts", micros(e.timestampNs()));
        }
        m.put("pid", pid);
        m.put("tid", tid);
        m.put("args", JsonLinesSink.fields(r));
        lastTs = Math.max(lastTs, e.timestampNs());
        event(m);
    }

    @Override
    public void lost(int cpu, long count) throws IOException {
        long total = lostPerCpu.merge(cpu, count, Long::sum);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", "lost events");
        m.put("ph", "C");
        m.put("ts", micros(lastTs));
        m.put("pid", 0);
        m.put("args", Map.of("cpu " + cpu, total));
        event(m);
    }

    private void name(String what, long pid, long tid, String name) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", what);
        m.put("ph", "M");
        m.put("pid", pid);
        m.put("tid", tid);
        m.put("args", Map.of("name", name));
        event(m);
    }

    private static long field(BtfRecord r, String name) {
        return r.fieldNames().contains(name) ? r.getLong(name) : 0;
    }

    /** Nanoseconds as microseconds with the nanoseconds kept (the format's unit is the microsecond). */
    private static Object micros(long ns) {
        return new java.math.BigDecimal(ns).movePointLeft(3);
    }

    private void event(Map<String, Object> m) throws IOException {
        write(first ? "\n" : ",\n");
        first = false;
        write(Json.write(m));
    }

    private void write(String s) throws IOException {
        out.write(s);
        bytes += s.length();
    }

    @Override
    public long bytesWritten() {
        return bytes;
    }

    @Override
    public void close() throws IOException {
        write("\n]\n");
        out.close();
    }
}
