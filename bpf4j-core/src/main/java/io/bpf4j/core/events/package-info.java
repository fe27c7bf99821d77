/**
 * Reading what BPF programs send to user space: {@link io.bpf4j.core.events.EventStream} (any number of ring and
 * perf buffers on one thread, one epoll instance: records, losses, periodic flushes, a stop on Ctrl-C) over
 * {@link io.bpf4j.core.events.RingBuffer} (BPF_MAP_TYPE_RINGBUF, one ring shared by all CPUs, ordered) and
 * {@link io.bpf4j.core.events.PerfBuffer} (BPF_MAP_TYPE_PERF_EVENT_ARRAY, one ring per CPU, for kernels before 5.8
 * or programs that use {@code bpf_perf_event_output}), with records decoded by the object's BTF
 * ({@link io.bpf4j.core.events.RecordDecoder}, {@link io.bpf4j.core.events.RecordMapper}).
 * <p>
 * Records are handed out zero-copy as read-only {@link java.lang.foreign.MemorySegment}s over the mmap'd ring,
 * valid only during the callback; {@link io.bpf4j.core.events.RecordHandler#copying} adapts a handler that
 * wants {@code byte[]} copies. Readers are single-consumer: poll each from one thread at a time.
 */
package io.bpf4j.core.events;
