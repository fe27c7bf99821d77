package io.bpf4j.core.features;

import io.bpf4j.core.kernel.KernelInfo;
import io.bpf4j.core.kernel.Probe;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything the feature probe found, grouped as {@code bpf4j feature} prints it.
 *
 * @param kernel       the kernel's release, BTF, lockdown and JIT state
 * @param programTypes one probe per program type, in the kernel's order
 * @param mapTypes     one probe per map type, in the kernel's order
 * @param helpers      for each program type probed for helpers (by bpftool name), one probe per common helper
 * @param attachHooks  one probe per {@link AttachHook}
 * @param elapsed      how long probing took (zero for answers that were all cached)
 */
public record FeatureReport(KernelInfo kernel, List<Probe> programTypes, List<Probe> mapTypes,
                            Map<String, List<Probe>> helpers, List<Probe> attachHooks, Duration elapsed) {
    public FeatureReport {
        programTypes = List.copyOf(programTypes);
        mapTypes = List.copyOf(mapTypes);
        Map<String, List<Probe>> h = new LinkedHashMap<>();
        helpers.forEach((k, v) -> h.put(k, List.copyOf(v)));
        helpers = java.util.Collections.unmodifiableMap(h);
        attachHooks = List.copyOf(attachHooks);
    }

    /** The probe of the program type named {@code name} (e.g. {@code xdp}). */
    public Optional<Probe> programType(String name) {
        return find(programTypes, name);
    }

    /** The probe of the map type named {@code name} (e.g. {@code ringbuf}). */
    public Optional<Probe> mapType(String name) {
        return find(mapTypes, name);
    }

    /** The probe of the attach hook named {@code name} (e.g. {@code kprobe}, {@code raw_tp}). */
    public Optional<Probe> attachHook(String name) {
        return find(attachHooks, name);
    }

    /** The probe of helper {@code helper} (e.g. {@code get_stackid}) in programs of type {@code programType}. */
    public Optional<Probe> helper(String programType, String helper) {
        List<Probe> list = helpers.get(programType);
        return list == null ? Optional.empty() : find(list, helper);
    }

    private static Optional<Probe> find(List<Probe> probes, String name) {
        return probes.stream().filter(p -> p.name().equals(name)).findFirst();
    }
}
