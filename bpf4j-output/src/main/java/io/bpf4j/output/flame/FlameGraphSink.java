package io.bpf4j.output.flame;

import io.bpf4j.output.Sink;
import io.bpf4j.output.StackCounts;
import io.bpf4j.output.TraceInfo;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code --output flamegraph:FILE.html}: the stacks a tool aggregated, as an interactive {@link FlameGraph}
 * written when the tool ends (the stacks of every interval together).
 */
public final class FlameGraphSink implements Sink {
    private final Path file;
    private final List<StackCounts.Stack> stacks = new ArrayList<>();
    private String unit = "samples";
    private StackCounts.Values values;
    private String title = "Flame graph";
    private long bytes;

    /** A sink writing {@code file} when closed. */
    public FlameGraphSink(Path file) {
        this.file = file;
    }

    @Override
    public void open(TraceInfo info) {
        title = info.tool() + " on " + info.hostname();
    }

    @Override
    public void stacks(StackCounts s) {
        unit = s.unit();
        values = s.values();
        stacks.addAll(s.stacks());
    }

    @Override
    public long bytesWritten() {
        return bytes;
    }

    @Override
    public void close() throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            FlameGraph.write(values == null ? new StackCounts(unit, stacks) : new StackCounts(unit, stacks, values),
                    title, w);
        }
        bytes = Files.size(tmp);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
}
