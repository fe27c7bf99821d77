package io.bpf4j.output.pprof;

import io.bpf4j.core.symbols.Frame;
import io.bpf4j.output.Sink;
import io.bpf4j.output.StackCounts;
import io.bpf4j.output.TraceInfo;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code --output pprof:FILE.pb.gz}: the stacks a tool aggregated ({@code profile}, {@code offcputime},
 * {@code stackcount}, {@code memleak}) as a gzip-compressed pprof profile ({@link Pprof}), written when the tool
 * ends. A tool that sends its stacks every interval has them summed per distinct stack, as folded output does;
 * the profile's time is when the tool began recording and its duration runs until the file is written.
 */
public final class PprofSink implements Sink {
    private record Key(String process, List<Frame> frames) {
    }

    private final Path file;
    private final Map<Key, long[]> values = new LinkedHashMap<>();
    private final Map<Key, Long> counts = new LinkedHashMap<>();
    private String unit = "samples";
    private StackCounts.Values types;
    private List<String> comments = List.of();
    private Instant start = Instant.now();
    private long startNanoTime = System.nanoTime();
    private long bytes;

    /** A sink writing {@code file} when closed. */
    public PprofSink(Path file) {
        this.file = file;
    }

    @Override
    public void open(TraceInfo info) {
        start = Instant.now();
        startNanoTime = System.nanoTime();
        comments = List.of("bpf4j " + info.tool() + " on " + info.hostname());
    }

    @Override
    public void stacks(StackCounts stacks) {
        unit = stacks.unit();
        types = stacks.values();
        for (StackCounts.Stack s : stacks.stacks()) {
            Key key = new Key(s.process(), s.frames());
            long[] sum = values.computeIfAbsent(key, k -> new long[s.values().size()]);
            for (int i = 0; i < sum.length; i++) sum[i] += s.values().get(i);
            counts.merge(key, s.count(), Long::sum);
        }
    }

    @Override
    public long bytesWritten() {
        return bytes;
    }

    @Override
    public void close() throws IOException {
        List<StackCounts.Stack> stacks = new ArrayList<>();
        values.forEach((k, v) -> stacks.add(new StackCounts.Stack(k.process(), k.frames(), counts.get(k),
                Arrays.stream(v).boxed().toList())));
        StackCounts all = types == null ? new StackCounts(unit, stacks) : new StackCounts(unit, stacks, types);
        long time = start.getEpochSecond() * 1_000_000_000L + start.getNano();
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            Pprof.write(all, time, System.nanoTime() - startNanoTime, comments, out);
        }
        bytes = Files.size(tmp);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
}
