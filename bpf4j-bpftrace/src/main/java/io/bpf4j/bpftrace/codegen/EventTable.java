package io.bpf4j.bpftrace.codegen;

import io.bpf4j.bpftrace.runtime.Event;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The events the generated programs send, numbered in the order they are first generated. */
public final class EventTable {
    private final List<Event> events = new ArrayList<>();
    private final Map<Event, Integer> ids = new HashMap<>();

    /** The id of {@code event}, registering it on first use (equal events share an id). */
    int id(Event event) {
        return ids.computeIfAbsent(event, e -> {
            events.add(e);
            return events.size() - 1;
        });
    }

    /** The event with this id. */
    public Event get(long id) {
        if (id < 0 || id >= events.size()) throw new IllegalArgumentException("unknown event id " + id);
        return events.get((int) id);
    }

    /** Every event, by id. */
    public List<Event> all() {
        return List.copyOf(events);
    }
}
