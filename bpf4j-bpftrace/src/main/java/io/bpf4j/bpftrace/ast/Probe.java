package io.bpf4j.bpftrace.ast;

import java.util.List;

/**
 * One probe block: {@code attach, points /predicate/ { statements }}.
 *
 * @param attachPoints where the block runs, at least one
 * @param predicate    the filter, or null when the block has none
 * @param body         the statements
 * @param position     where the block starts
 */
public record Probe(List<AttachPoint> attachPoints, Expr predicate, List<Stmt> body, Position position) {
    public Probe {
        attachPoints = List.copyOf(attachPoints);
        body = List.copyOf(body);
    }
}
