package io.bpf4j.output.jfr;

import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.btf.BtfType;
import io.bpf4j.core.events.BtfRecord;
import io.bpf4j.core.format.IoErrors;
import io.bpf4j.output.EventType;
import io.bpf4j.output.Sink;
import io.bpf4j.output.TraceEvent;
import io.bpf4j.output.TraceInfo;
import jdk.jfr.AnnotationElement;
import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.EventFactory;
import jdk.jfr.FlightRecorder;
import jdk.jfr.FlightRecorderListener;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Recording;
import jdk.jfr.RecordingState;
import jdk.jfr.Timespan;
import jdk.jfr.ValueDescriptor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code --output jfr:FILE.jfr}: kernel events as Java Flight Recorder events, in a recording JDK Mission Control
 * opens next to the JVM's own events. Each {@link EventType} becomes a JFR event type made at run time
 * ({@link EventFactory}) named {@code bpf4j.TOOL.EVENT} in the category {@code bpf4j / TOOL}, with one field per
 * field of its C struct: integers as {@code long}, char arrays as {@code String}, anything else as its text; the
 * duration field, when the type has one, is a {@link Timespan} in nanoseconds.
 *
 * <p>JFR stamps an event with the JVM's clock when it is committed, which is when bpf4j read it — a few
 * milliseconds after the kernel saw it. The kernel's own time is kept in the field {@code kernelTimestamp}
 * (CLOCK_MONOTONIC ns) and the CPU in {@code cpu}.
 *
 * <p>The events are committed to the JVM's flight recorder, so while a tool runs in-process they can also be
 * streamed live: {@code try (var rs = new jdk.jfr.consumer.RecordingStream()) { rs.enable("bpf4j.opensnoop.open");
 * rs.onEvent("bpf4j.opensnoop.open", e -> …); rs.startAsync(); … }}.
 */
public final class JfrSink implements Sink {
    private final Path file;
    private final Recording recording = new Recording();
    private long bytes;
    /** Set when the recording stops before {@link #close()}: JFR's shutdown hook, on Ctrl-C or SIGTERM. */
    private volatile boolean stoppedByJvm;
    /** Counted down once JFR's shutdown hook has stopped the recording and written {@link #file}. */
    private final CountDownLatch writtenByJvm = new CountDownLatch(1);
    private volatile boolean closing;
    private long missed;
    private final FlightRecorderListener listener = new FlightRecorderListener() {
        @Override
        public void recordingStateChanged(Recording r) {
            // JFR tells the listeners after it wrote the destination (PlatformRecording.stop)
            if (r == recording && r.getState() != RecordingState.RUNNING && !closing) {
                stoppedByJvm = true;
                writtenByJvm.countDown();
            }
        }
    };
    private final Map<EventType, Factory> factories = new HashMap<>();
    private String tool = "bpf4j";
    /** A bound, not a timing: JFR writes the recording at its own pace on a busy machine. */
    private static final long SHUTDOWN_WRITE_WAIT_S = 60;

    /** One event type's factory and the struct fields in the order of its JFR fields. */
    private record Factory(EventFactory factory, List<String> fields, List<Kind> kinds) {
    }

    private enum Kind { LONG, STRING, TIMESPAN }

    /**
     * A recording written to {@code file} when the sink is closed, or when the JVM shuts down first.
     *
     * @throws IOException when {@code file} cannot be written
     */
    public JfrSink(Path file) throws IOException {
        this.file = file;
        recording.setName("bpf4j");
        recording.setToDisk(true);
        // JFR's own shutdown hook stops every recording on Ctrl-C or SIGTERM, maybe before this sink is closed:
        // with a destination, that stop writes the file too
        recording.setDestination(file);
    }

    @Override
    public void open(TraceInfo info) {
        tool = info.tool();
        for (EventType t : info.eventTypes()) factory(t);
        FlightRecorder.addListener(listener);
        recording.start();
    }

    private Factory factory(EventType type) {
        return factories.computeIfAbsent(type, t -> {
            Btf btf = t.btf();
            String name = "bpf4j." + tool + "." + t.name();
            List<AnnotationElement> annotations = List.of(
                    new AnnotationElement(Name.class, name),
                    new AnnotationElement(Label.class, t.name()),
                    new AnnotationElement(Description.class, "Kernel event '" + t.name() + "' recorded by bpf4j "
                            + tool),
                    new AnnotationElement(Category.class, new String[] {"bpf4j", tool}));
            List<ValueDescriptor> fields = new ArrayList<>();
            List<String> names = new ArrayList<>();
            List<Kind> kinds = new ArrayList<>();
            BtfType.Composite struct = (BtfType.Composite) btf.resolveType(t.typeId());
            for (BtfType.Member m : struct.members()) {
                if (m.name().isEmpty()) continue;
                Kind kind = m.name().equals(t.durationField()) ? Kind.TIMESPAN : kind(btf, m.type());
                List<AnnotationElement> fa = new ArrayList<>(List.of(new AnnotationElement(Label.class, m.name())));
                if (kind == Kind.TIMESPAN) fa.add(new AnnotationElement(Timespan.class, Timespan.NANOSECONDS));
                fields.add(new ValueDescriptor(kind == Kind.STRING ? String.class : long.class, javaName(m.name()), fa));
                names.add(m.name());
                kinds.add(kind);
            }
            fields.add(new ValueDescriptor(long.class, "kernelTimestamp",
                    List.of(new AnnotationElement(Label.class, "Kernel timestamp (CLOCK_MONOTONIC ns)"))));
            fields.add(new ValueDescriptor(int.class, "cpu", List.of(new AnnotationElement(Label.class, "CPU"))));
            EventFactory f = EventFactory.create(annotations, fields);
            f.register();
            recording.enable(name).withoutThreshold().withoutStackTrace();
            return new Factory(f, names, kinds);
        });
    }

    private static Kind kind(Btf btf, int typeId) {
        return switch (btf.resolveType(typeId)) {
            case BtfType.Int i -> Kind.LONG;
            case BtfType.Enum e -> Kind.LONG;
            case BtfType.Enum64 e -> Kind.LONG;
            case BtfType.Ptr p -> Kind.LONG;
            default -> Kind.STRING;
        };
    }

    /** A field name JFR accepts (a Java identifier that is not {@code cpu}, which this sink adds itself). */
    private static String javaName(String name) {
        String n = name.replaceAll("[^A-Za-z0-9_]", "_");
        if (n.equals("cpu")) return "eventCpu";
        return Character.isJavaIdentifierStart(n.charAt(0)) ? n : "_" + n;
    }

    @Override
    public void event(TraceEvent e) {
        if (stoppedByJvm) {
            missed++; // the tool drains the ring while the JVM shuts down; say how many could not be kept
            return;
        }
        Factory f = factory(e.type());
        Event event = f.factory().newEvent();
        BtfRecord r = e.record();
        int i = 0;
        for (; i < f.fields().size(); i++) {
            Object v = r.get(f.fields().get(i));
            switch (f.kinds().get(i)) {
                case LONG -> event.set(i, v instanceof Number n ? n.longValue() : 0L);
                case TIMESPAN -> event.set(i, e.durationNs());
                case STRING -> event.set(i, String.valueOf(v));
            }
        }
        event.set(i, e.timestampNs());
        event.set(i + 1, e.cpu());
        event.commit();
    }

    @Override
    public void close() throws IOException {
        if (jvmShuttingDown()) {
            closeInShutdown();
            return;
        }
        closing = true;
        FlightRecorder.removeListener(listener);
        IOException failed = null;
        if (recording.getState() == RecordingState.RUNNING) {
            // written here rather than by stop(), which writes the destination but keeps a failure to itself
            recording.setDestination(null);
            recording.stop();
            try {
                recording.dump(file);
            } catch (IOException e) {
                failed = e;
            }
        }
        // what JFR's shutdown hook wrote, when it stopped the recording first, must be whole too
        long size = recording.getState() == RecordingState.STOPPED ? recording.getSize() : 0;
        recording.close();
        for (Factory f : factories.values()) f.factory().unregister();
        bytes = Files.exists(file) ? Files.size(file) : 0;
        if (failed != null) throw new IOException("cannot write " + IoErrors.describe(failed, file), failed);
        if (bytes < size) {
            throw new IOException("cannot write " + file + ": " + bytes + " of the recording's " + size + " bytes "
                    + "written (is the disk full?)");
        }
    }

    /**
     * On Ctrl-C or SIGTERM JFR's own shutdown hook runs beside the one closing this sink: it stops the recording,
     * writes the destination set in the constructor, then deletes its repository's chunk files. Stopping or
     * dumping the recording here as well would race that deletion (a dump then fails with "Missing chunkfile", or
     * writes nothing), so the sink leaves the recording to JFR and waits until JFR says it is written.
     */
    private void closeInShutdown() throws IOException {
        if (recording.getState() == RecordingState.NEW) return; // never opened: nothing for JFR to write
        try {
            if (!writtenByJvm.await(SHUTDOWN_WRITE_WAIT_S, TimeUnit.SECONDS)) {
                throw new IOException("cannot write " + file + ": JFR's shutdown did not write the recording within "
                        + SHUTDOWN_WRITE_WAIT_S + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("cannot write " + file + ": interrupted while JFR wrote the recording", e);
        } finally {
            FlightRecorder.removeListener(listener);
        }
        bytes = Files.exists(file) ? Files.size(file) : 0;
        if (bytes == 0) throw new IOException("cannot write " + file + ": JFR's shutdown wrote an empty recording");
    }

    /** Whether the JVM is running its shutdown hooks: the only moment {@code addShutdownHook} refuses a hook. */
    private static boolean jvmShuttingDown() {
        Thread probe = new Thread(() -> { });
        try {
            Runtime.getRuntime().addShutdownHook(probe);
            Runtime.getRuntime().removeShutdownHook(probe);
            return false;
        } catch (IllegalStateException e) {
            return true;
        }
    }

    @Override
    public String warning() {
        return missed == 0 ? null : missed + " event(s) read after the JVM's shutdown (Ctrl-C, SIGTERM) had stopped "
                + "the JFR recording are not in it";
    }

    /** The file's size once closed (until then JFR holds the events in its own repository). */
    @Override
    public long bytesWritten() {
        return bytes;
    }
}
