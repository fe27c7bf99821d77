package io.bpf4j.core;

import io.bpf4j.core.object.MapType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ConcurrentModificationException;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.function.BiFunction;

/**
 * Walks the keys with one key of look-ahead (so deleting the key just returned is safe) and, with
 * {@code withValues}, looks each up; hands key and value segments (valid until the next step) to {@code read}.
 */
final class KeyWalk<T> implements Iterator<T> {
    private final BpfMap map;
    private final BiFunction<MemorySegment, MemorySegment, T> read;
    private final boolean withValues;
    private final MemorySegment value;
    private MemorySegment current, spare;
    private boolean started, hasCurrent;
    private T pending;
    private long visited;

    KeyWalk(BpfMap map, BiFunction<MemorySegment, MemorySegment, T> read, boolean withValues) {
        this.map = map;
        MapType type = map.type();
        if (!type.hasKeys() || !type.canIterate()) {
            throw new UnsupportedOperationException("user space cannot iterate " + map
                    + (type.hasKeys() ? "" : ": it has no keys (use pop/peek)"));
        }
        this.read = read;
        this.withValues = withValues;
        Arena arena = Arena.ofAuto();
        current = arena.allocate(map.keySize(), 8);
        spare = arena.allocate(map.keySize(), 8);
        value = withValues ? arena.allocate(map.valueBufferSize(), 8) : MemorySegment.NULL;
    }

    @Override
    public boolean hasNext() {
        while (pending == null) {
            if (!started) {
                started = true;
                hasCurrent = map.nextKey(MemorySegment.NULL, current);
            }
            if (!hasCurrent) return false;
            if (++visited > map.maxEntries()) {
                throw new ConcurrentModificationException("iterating " + map + " visited more keys than max "
                        + "entries (" + map.maxEntries() + "): the map is being changed while it is walked and the "
                        + "kernel restarted the walk; use lookupBatch() for a consistent view");
            }
            // Read the current element, then fetch the next key before handing the element out, so that the
            // caller may delete it.
            boolean present = !withValues || map.lookup(current, value);
            T item = present ? read.apply(current, value) : null;
            hasCurrent = map.nextKey(current, spare);
            MemorySegment t = current;
            current = spare;
            spare = t;
            pending = item;
        }
        return true;
    }

    @Override
    public T next() {
        if (!hasNext()) throw new NoSuchElementException();
        T item = pending;
        pending = null;
        return item;
    }
}

