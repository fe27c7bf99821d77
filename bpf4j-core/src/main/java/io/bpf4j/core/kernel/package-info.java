/**
 * Kernel objects and facts that the rest of the library builds on: ownership of a kernel file descriptor
 * ({@link io.bpf4j.core.kernel.Fd}), BTF loaded into the kernel ({@link io.bpf4j.core.kernel.LoadedBtf}), facts
 * about the host and the running kernel ({@link io.bpf4j.core.kernel.Host},
 * {@link io.bpf4j.core.kernel.KernelInfo}, {@link io.bpf4j.core.kernel.KernelConfig}) and the memoized feature
 * probes the library consults itself ({@link io.bpf4j.core.kernel.Probes}, answered with a
 * {@link io.bpf4j.core.kernel.Probe}). It talks to the kernel only through the internal syscall layer, so programs,
 * maps, links and externs may use it without depending on the {@code bpf4j feature} report above them.
 */
package io.bpf4j.core.kernel;
