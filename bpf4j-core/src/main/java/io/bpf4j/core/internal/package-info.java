/**
 * The system-call layer (internal, not exported): FFM downcalls for bpf(2) — typed methods per command in
 * {@link io.bpf4j.core.internal.Bpf}, the {@code union bpf_attr} offsets package-private — perf_event_open, ioctl,
 * mmap, epoll, sockets and netlink, and errno turned into exceptions that say what to do. Nothing outside
 * bpf4j-core uses it; it depends on nothing of bpf4j but the exception and errno types.
 */
package io.bpf4j.core.internal;
