/**
 * What the running kernel lets BPF do, found by trying: {@link io.bpf4j.core.features.Features} probes program
 * types, map types, helpers and attach hooks once per process and answers each with a
 * {@link io.bpf4j.core.features.Probe} — available or not, and why not ("CONFIG_KPROBES is not set",
 * "program load refused with EPERM (lockdown: integrity)"). {@code bpf4j feature} prints the whole
 * {@link io.bpf4j.core.features.FeatureReport}.
 */
package io.bpf4j.core.features;
