package io.bpf4j.bpftrace.check;

import io.bpf4j.core.link.TracepointFormat;
import java.util.List;
import java.util.Optional;

/** What the kernel offers to attach to, as far as the checker needs to know: tracepoints and their layouts. */
public interface ProbeCatalog {
    /** Every tracepoint, as {@code category:name}. */
    List<String> tracepoints();

    /** The layout of {@code category:name}, or empty when there is no such tracepoint. */
    Optional<TracepointFormat> tracepointFormat(String category, String name);
}
