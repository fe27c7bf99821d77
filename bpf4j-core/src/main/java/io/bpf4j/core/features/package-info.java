/**
 * The report of what the running kernel lets BPF do, found by trying: {@link io.bpf4j.core.features.Features}
 * probes program types, map types, helpers and attach hooks once per process and answers each with a
 * {@link io.bpf4j.core.kernel.Probe} — available or not, and why not ("CONFIG_KPROBES is not set",
 * "program load refused with EPERM (lockdown: integrity)"). {@code bpf4j feature} prints the whole
 * {@link io.bpf4j.core.features.FeatureReport}. This package sits on top of the library and may use all of it;
 * the library itself consults only the probes of {@link io.bpf4j.core.kernel.Probes}, which the report includes.
 */
package io.bpf4j.core.features;
