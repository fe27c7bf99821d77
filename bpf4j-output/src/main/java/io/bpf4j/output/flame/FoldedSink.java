package io.bpf4j.output.flame;

import io.bpf4j.output.Sink;
import io.bpf4j.output.StackCounts;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code --output folded:FILE}: the stacks a tool aggregated ({@code profile}, {@code offcputime},
 * {@code stackcount}, {@code memleak}) as folded lines (see {@link FoldedStacks}). A tool that prints its stacks
 * every interval sends them each time: the file holds their sum per distinct stack, written at close.
 */
public final class FoldedSink implements Sink {
    private final Path file;
    private final Map<String, Long> counts = new LinkedHashMap<>();
    private long bytes;

    /** A sink writing {@code file} when closed. */
    public FoldedSink(Path file) {
        this.file = file;
    }

    @Override
    public void stacks(StackCounts stacks) {
        for (StackCounts.Stack s : stacks.stacks()) {
            String line = FoldedStacks.line(s);
            String key = line.substring(0, line.lastIndexOf(' '));
            counts.merge(key, s.count(), Long::sum);
        }
    }

    @Override
    public long bytesWritten() {
        return bytes;
    }

    @Override
    public void close() throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            for (Map.Entry<String, Long> e : counts.entrySet()) {
                String line = e.getKey() + " " + e.getValue() + "\n";
                w.write(line);
                bytes += line.length();
            }
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
}
