package io.bpf4j.core;

import io.bpf4j.core.error.Errno;
import io.bpf4j.core.internal.BpfCommand;
import io.bpf4j.core.object.MapSpec;
import io.bpf4j.core.object.MapType;

/**
 * What a failed map operation most likely means for this map, in words a person can act on; null when the
 * generic hint of {@link io.bpf4j.core.internal.Bpf#hint} says it as well.
 */
final class MapErrors {
    private MapErrors() {
    }

    static String hint(BpfMap map, BpfCommand cmd, int errno) {
        MapType type = map.type();
        int maxEntries = map.maxEntries();
        int flags = map.flags();
        boolean update = cmd == BpfCommand.MAP_UPDATE_ELEM || cmd == BpfCommand.MAP_UPDATE_BATCH;
        boolean write = update || cmd == BpfCommand.MAP_DELETE_ELEM || cmd == BpfCommand.MAP_DELETE_BATCH
                || cmd == BpfCommand.MAP_LOOKUP_AND_DELETE_ELEM || cmd == BpfCommand.MAP_LOOKUP_AND_DELETE_BATCH;
        boolean lookup = cmd == BpfCommand.MAP_LOOKUP_ELEM || cmd == BpfCommand.MAP_LOOKUP_BATCH;
        Errno e = Errno.of(errno);
        switch (e) {
            case EPERM -> {
                if (write && map.isFrozen()) {
                    return "the map is frozen (BPF_MAP_FREEZE): user space can no longer change it, only BPF "
                            + "programs can";
                }
                if (write && (flags & MapSpec.F_RDONLY) != 0) {
                    return "the map was created with BPF_F_RDONLY: user space may only read it";
                }
                if (!write && (flags & MapSpec.F_WRONLY) != 0) {
                    return "the map was created with BPF_F_WRONLY: user space may only write it";
                }
            }
            case ENOTSUPP, EOPNOTSUPP, EINVAL -> {
                if (lookup && !type.canLookup()) {
                    return "user space cannot read the elements of " + type.displayName() + " maps"
                            + (type == MapType.RINGBUF ? " (read ring buffers through their reader)" : "");
                }
                if (cmd == BpfCommand.MAP_GET_NEXT_KEY && !type.canIterate()) {
                    return "user space cannot iterate " + type.displayName() + " maps";
                }
                if ((cmd == BpfCommand.MAP_DELETE_ELEM || cmd == BpfCommand.MAP_DELETE_BATCH) && !type.canDelete()) {
                    return "elements of " + type.displayName() + " maps cannot be deleted"
                            + (type.isIndexed() ? ": they always exist; update them with zeros instead" : "");
                }
                if (cmd.name().endsWith("_BATCH")) {
                    return "this kernel offers no " + cmd.kernelName() + " for " + type.displayName()
                            + " maps; walk them with keys()/entries() instead";
                }
                if (update && type == MapType.STACK_TRACE) {
                    return "stack trace maps are filled by bpf_get_stackid() in programs; user space can only read "
                            + "and delete them";
                }
                if (update && type == MapType.PROG_ARRAY) {
                    return "the program cannot go into this prog array: all its programs must have one program "
                            + "type (and be able to tail-call each other)";
                }
                if (update && type == MapType.QUEUE || update && type == MapType.STACK) {
                    return "queues and stacks take ANY or EXIST (overwrite the oldest when full) and no key";
                }
            }
            case E2BIG -> {
                if (update && type.isIndexed()) {
                    return "index out of range: this map has " + maxEntries + " elements (0.." + (maxEntries - 1) + ")";
                }
                if (update && (type == MapType.QUEUE || type == MapType.STACK)) {
                    return "the " + type.displayName() + " is full (" + maxEntries + " elements); pop some, or push "
                            + "with BpfMap.EXIST to overwrite the oldest";
                }
                if (update && type.hasKeys() && !type.isIndexed()) {
                    return "the map is full (" + maxEntries + " elements); delete some, create it larger, or use an "
                            + "LRU hash, which evicts the least recently used";
                }
            }
            case EEXIST -> {
                if (update && type.isIndexed()) {
                    return "array elements always exist, so BPF_NOEXIST always fails; use ANY or EXIST";
                }
                if (update) return "the key exists and BPF_NOEXIST was given";
            }
            case ENOENT -> {
                if (update) return "the key does not exist and BPF_EXIST was given";
            }
            case EBADF -> {
                if (update && type.hasFdValues()) {
                    return "the value must be an open file descriptor (of a program, map, perf event or cgroup, "
                            + "as the map type requires)";
                }
            }
            case EBUSY -> {
                if (cmd == BpfCommand.MAP_FREEZE) {
                    return "the map is mmap'd writable, or already being frozen";
                }
            }
            default -> {
            }
        }
        return null;
    }
}
