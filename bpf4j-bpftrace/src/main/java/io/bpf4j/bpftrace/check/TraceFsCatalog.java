package io.bpf4j.bpftrace.check;

import io.bpf4j.core.link.Tracefs;
import io.bpf4j.core.link.TracepointFormat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** The kernel's tracepoints, read from tracefs (mounted when it is not). */
public final class TraceFsCatalog implements ProbeCatalog {
    private List<String> tracepoints;

    @Override
    public List<String> tracepoints() {
        if (tracepoints == null) {
            Path events = Tracefs.events();
            List<String> all = new ArrayList<>();
            try (Stream<Path> categories = Files.list(events)) {
                for (Path category : categories.filter(Files::isDirectory).sorted().toList()) {
                    try (Stream<Path> names = Files.list(category)) {
                        names.filter(p -> Files.exists(p.resolve("format"))).sorted()
                                .forEach(p -> all.add(category.getFileName() + ":" + p.getFileName()));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list the tracepoints in " + events, e);
            }
            tracepoints = List.copyOf(all);
        }
        return tracepoints;
    }

    @Override
    public Optional<TracepointFormat> tracepointFormat(String category, String name) {
        return Tracefs.format(category, name).map(TracepointFormat::withoutCommonFields);
    }
}
