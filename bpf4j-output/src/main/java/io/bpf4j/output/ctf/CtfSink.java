package io.bpf4j.output.ctf;

import io.bpf4j.output.EventType;
import io.bpf4j.output.Sink;
import io.bpf4j.output.TraceEvent;
import io.bpf4j.output.TraceInfo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * {@code --output ctf:DIR}: a Common Trace Format 1.8 trace that babeltrace2 and Trace Compass open. The directory
 * holds {@code metadata} (TSDL text) and one stream file per CPU, {@code cpuN}, made of packets of at most
 * {@value #PACKET_BYTES} bytes.
 *
 * <ul>
 *   <li>Packet header: magic, the trace's uuid, stream class id 0, and the CPU as stream instance id. Packet
 *       context: {@code timestamp_begin}, {@code timestamp_end}, {@code content_size}, {@code packet_size},
 *       {@code packet_seq_num}, {@code events_discarded} (what the ring buffer lost on that CPU, shown by
 *       babeltrace2 as "discarded events") and {@code cpu_id}, as LTTng writes them.</li>
 *   <li>Event classes are made from each event's BTF struct (see {@link EventClass}): integers with their size
 *       and signedness (pointers in hex), char arrays as strings, enums with their labels, nested structs,
 *       arrays. Each event's payload is the struct's bytes as the BPF program wrote them.</li>
 *   <li>Clock {@code monotonic}: the events' CLOCK_MONOTONIC nanoseconds, with the offset to real time, so
 *       readers show wall-clock times.</li>
 *   <li>Env: {@code hostname}, {@code domain = "kernel"}, {@code tracer_name = "bpf4j"}, the tracer version,
 *       {@code sysname}, {@code kernel_release}, {@code trace_name} (the tool).</li>
 * </ul>
 *
 * Events are written sorted by timestamp within each stream, and only whole packets are written, so a recording
 * cut short (Ctrl-C, SIGTERM, a crash after some packets) still opens. Event and field names are the tool's: tools
 * that record scheduler events use the tracepoints' own names ({@code sched_switch} with {@code prev_comm},
 * {@code prev_tid}…) that Trace Compass's kernel analyses look for.
 */
public final class CtfSink implements Sink {
    /** Packet size: LTTng's kernel channels use sub-buffers of this order. */
    static final int PACKET_BYTES = 256 * 1024;

    private final Path dir;
    private final Map<Integer, CtfStream> streams = new TreeMap<>();
    private final Map<EventType, EventClass> classes = new HashMap<>();
    private final byte[] uuid = new byte[16];
    private final UUID traceUuid = UUID.randomUUID();
    private long metadataBytes;

    /** A trace written into {@code dir} (created if needed; a trace already there is replaced). */
    public CtfSink(Path dir) {
        this.dir = dir;
        ByteBuffer.wrap(uuid).order(ByteOrder.BIG_ENDIAN).putLong(traceUuid.getMostSignificantBits())
                .putLong(traceUuid.getLeastSignificantBits());
    }

    @Override
    public void open(TraceInfo info) throws IOException {
        Files.createDirectories(dir);
        try (var old = Files.list(dir)) {
            for (Path p : old.toList()) {
                String n = p.getFileName().toString();
                if (n.equals("metadata") || n.matches("cpu\\d+")) Files.delete(p);
            }
        }
        StringBuilder m = new StringBuilder(metadataPrologue(info));
        for (EventType t : info.eventTypes()) m.append(eventClass(t).tsdl);
        appendMetadata(m.toString());
    }

    private String metadataPrologue(TraceInfo info) {
        String order = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? "le" : "be";
        long offset = info.monotonicToRealtimeNs();
        StringBuilder m = new StringBuilder("/* CTF 1.8 */\n\n");
        for (int bits : new int[] {8, 16, 32, 64}) {
            m.append("typealias ").append(EventClass.tsdlInteger(bits, bits, false, 10, false))
                    .append(" := uint").append(bits).append("_t;\n");
        }
        m.append("\ntrace {\n\tmajor = 1;\n\tminor = 8;\n\tuuid = \"").append(traceUuid).append("\";\n")
                .append("\tbyte_order = ").append(order).append(";\n")
                .append("\tpacket.header := struct {\n\t\tuint32_t magic;\n\t\tuint8_t uuid[16];\n")
                .append("\t\tuint32_t stream_id;\n\t\tuint64_t stream_instance_id;\n\t};\n};\n\n");
        m.append("env {\n")
                .append("\thostname = \"").append(EventClass.escape(info.hostname())).append("\";\n")
                .append("\tdomain = \"kernel\";\n")
                .append("\ttracer_name = \"bpf4j\";\n")
                .append("\ttracer_major = 0;\n\ttracer_minor = 1;\n")
                .append("\tsysname = \"Linux\";\n")
                .append("\tkernel_release = \"").append(EventClass.escape(kernelRelease())).append("\";\n")
                .append("\ttrace_name = \"").append(EventClass.escape(info.tool())).append("\";\n")
                .append("\ttrace_creation_datetime = \"").append(Instant.now()).append("\";\n")
                .append("};\n\n");
        m.append("clock {\n\tname = \"monotonic\";\n\tuuid = \"").append(UUID.nameUUIDFromBytes(uuid)).append("\";\n")
                .append("\tdescription = \"CLOCK_MONOTONIC (bpf_ktime_get_ns)\";\n")
                .append("\tfreq = 1000000000;\n\tprecision = 1;\n")
                .append("\toffset_s = ").append(Math.floorDiv(offset, 1_000_000_000L)).append(";\n")
                .append("\toffset = ").append(Math.floorMod(offset, 1_000_000_000L)).append(";\n")
                .append("\tabsolute = FALSE;\n};\n\n");
        m.append("typealias integer { size = 64; align = 64; signed = false; map = clock.monotonic.value; } "
                + ":= uint64_clock_monotonic_t;\n\n");
        m.append("stream {\n\tid = 0;\n")
                .append("\tpacket.context := struct {\n")
                .append("\t\tuint64_clock_monotonic_t timestamp_begin;\n")
                .append("\t\tuint64_clock_monotonic_t timestamp_end;\n")
                .append("\t\tuint64_t content_size;\n\t\tuint64_t packet_size;\n\t\tuint64_t packet_seq_num;\n")
                .append("\t\tuint64_t events_discarded;\n\t\tuint32_t cpu_id;\n\t};\n")
                .append("\tevent.header := struct {\n\t\tuint32_t id;\n")
                .append("\t\tuint64_clock_monotonic_t timestamp;\n\t};\n};\n\n");
        return m.toString();
    }

    private static String kernelRelease() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        } catch (IOException e) {
            return System.getProperty("os.version");
        }
    }

    /** The event class of {@code type}, made (and its declaration added to the metadata) on first use. */
    private EventClass eventClass(EventType type) {
        EventClass c = classes.get(type);
        if (c == null) {
            c = new EventClass(classes.size(), type);
            if (c.payloadBytes > CtfStream.maxPayload(PACKET_BYTES)) {
                throw new IllegalArgumentException("event '" + type.name() + "' is " + c.payloadBytes
                        + " bytes, more than a CTF packet of " + PACKET_BYTES + " bytes holds");
            }
            classes.put(type, c);
        }
        return c;
    }

    private void appendMetadata(String text) throws IOException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        Files.write(dir.resolve("metadata"), b, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        metadataBytes += b.length;
    }

    @Override
    public void event(TraceEvent e) throws IOException {
        EventClass c = classes.get(e.type());
        if (c == null) {
            // a type the tool did not announce: declared now, the metadata is read whole when the trace is opened
            c = eventClass(e.type());
            appendMetadata(c.tsdl);
        }
        stream(e.cpu()).add(c, e.timestampNs(), e.raw());
    }

    @Override
    public void lost(int cpu, long count) {
        stream(cpu).lost(count);
    }

    /** The stream of {@code cpu}; events and losses of no known CPU go to CPU 0's. */
    private CtfStream stream(int cpu) {
        int c = Math.max(cpu, 0);
        return streams.computeIfAbsent(c, k -> new CtfStream(k, dir.resolve("cpu" + k), uuid, PACKET_BYTES));
    }

    @Override
    public long bytesWritten() {
        long n = metadataBytes;
        for (CtfStream s : streams.values()) n += s.bytesWritten();
        return n;
    }

    /**
     * Events that came after a later event of their CPU had already been written (more than a packet later), so
     * were written with that later timestamp to keep the stream ordered. Expected to stay 0.
     */
    public long late() {
        return streams.values().stream().mapToLong(CtfStream::late).sum();
    }

    @Override
    public void close() throws IOException {
        IOException failure = null;
        for (CtfStream s : streams.values()) {
            try {
                s.flush();
            } catch (IOException e) {
                if (failure == null) failure = e;
                else failure.addSuppressed(e);
            }
            try {
                s.close();
            } catch (IOException e) {
                if (failure == null) failure = e;
                else failure.addSuppressed(e);
            }
        }
        if (failure != null) throw failure;
    }
}
