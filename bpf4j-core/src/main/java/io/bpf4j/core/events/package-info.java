/**
 * Reading what BPF programs send to user space: {@link io.bpf4j.core.events.RingBuffer} (BPF_MAP_TYPE_RINGBUF,
 * one ring shared by all CPUs, ordered), {@link io.bpf4j.core.events.RingBufferPoller} (several rings, one
 * thread) and {@link io.bpf4j.core.events.PerfBuffer} (BPF_MAP_TYPE_PERF_EVENT_ARRAY, one ring per CPU, for
 * kernels before 5.8 or programs that use {@code bpf_perf_event_output}).
 * <p>
 * Records are handed out zero-copy as read-only {@link java.lang.foreign.MemorySegment}s over the mmap'd ring,
 * valid only during the callback; {@link io.bpf4j.core.events.RecordHandler#copying} adapts a handler that
 * wants {@code byte[]} copies. Readers are single-consumer: poll each from one thread at a time.
 */
package io.bpf4j.core.events;
