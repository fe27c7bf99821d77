package io.bpf4j.core.features;

import java.util.OptionalInt;

/** Test-only access to the probe's kernel BTF lookup, for tests in other packages that need an attach target. */
public final class KernelBtfIds {
    private KernelBtfIds() {
    }

    /** The BTF id of the kernel function {@code name} in /sys/kernel/btf/vmlinux, if the kernel has BTF and it. */
    public static OptionalInt function(String name) {
        KernelBtf btf = KernelBtf.vmlinux();
        return btf == null ? OptionalInt.empty() : btf.find(KernelBtf.KIND_FUNC, name);
    }
}
