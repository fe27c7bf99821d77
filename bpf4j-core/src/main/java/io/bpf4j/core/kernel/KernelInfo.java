package io.bpf4j.core.kernel;

import io.bpf4j.core.btf.KernelBtf;
import io.bpf4j.core.internal.Bpf;
import io.bpf4j.core.internal.ObjectPath;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The facts about the running kernel that decide what BPF can do, read from /proc and /sys.
 *
 * @param release                 the kernel release ({@code /proc/sys/kernel/osrelease}), e.g. {@code 6.18.44}
 * @param btf                     whether the kernel carries its own BTF ({@code /sys/kernel/btf/vmlinux}): needed
 *                                for CO-RE, tp_btf, fentry and LSM programs
 * @param lockdown                the kernel lockdown mode ({@code none}, {@code integrity}, {@code confidentiality}),
 *                                or {@code unknown} when securityfs cannot be read
 * @param jitEnabled              whether the BPF JIT compiler is on ({@code net.core.bpf_jit_enable})
 * @param unprivilegedBpfDisabled {@code kernel.unprivileged_bpf_disabled}: 0 = unprivileged users may use bpf(2),
 *                                1 = they may not (until reboot), 2 = they may not (an admin can change it);
 *                                -1 when it cannot be read
 * @param lsms                    the active Linux security modules ({@code /sys/kernel/security/lsm}), empty when
 *                                unknown
 */
public record KernelInfo(String release, boolean btf, String lockdown, boolean jitEnabled,
                         int unprivilegedBpfDisabled, List<String> lsms) {
    public KernelInfo {
        lsms = List.copyOf(lsms);
    }

    /** The running kernel's facts, read once per process on first use (mounting securityfs when needed). */
    public static KernelInfo current() {
        return Holder.INFO;
    }

    private static final class Holder {
        static final KernelInfo INFO = read();
    }

    private static KernelInfo read() {
        String release = read(Path.of("/proc/sys/kernel/osrelease"), "unknown");
        boolean btf = Files.isReadable(KernelBtf.SYSFS.resolve("vmlinux"));
        String lockdown = Bpf.lockdown(); // mounts securityfs when needed
        String jit = read(Path.of("/proc/sys/net/core/bpf_jit_enable"), "");
        int unpriv;
        try {
            unpriv = Integer.parseInt(read(Path.of("/proc/sys/kernel/unprivileged_bpf_disabled"), "-1"));
        } catch (NumberFormatException e) {
            unpriv = -1;
        }
        String lsm = read(ObjectPath.SECURITYFS.resolve("lsm"), "");
        List<String> lsms = lsm.isEmpty() ? List.of() : Arrays.asList(lsm.split(","));
        return new KernelInfo(release, btf, lockdown == null ? "unknown" : lockdown, !jit.isEmpty() && !jit.equals("0"),
                unpriv, lsms);
    }

    private static String read(Path p, String otherwise) {
        try {
            return Files.readString(p).strip();
        } catch (IOException | RuntimeException e) {
            return otherwise;
        }
    }

    /** Whether kernel lockdown is active (mode other than none or unknown). */
    public boolean lockedDown() {
        return !lockdown.equals("none") && !lockdown.equals("unknown");
    }

    /** Whether the BPF LSM is among the active security modules. */
    public boolean bpfLsmActive() {
        return lsms.contains("bpf");
    }
}
