package io.bpf4j.bpftrace;

import io.bpf4j.core.features.AttachHook;
import io.bpf4j.core.features.Features;
import io.bpf4j.core.kernel.KernelInfo;
import io.bpf4j.core.object.MapType;
import io.bpf4j.core.object.ProgramType;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code bpf4j bt --info}: what this machine and this compiler support, in the layout of {@code bpftrace --info}
 * (scripts and bpftrace's test suite read its "NAME: yes" lines). A feature is "yes" only when the kernel offers it
 * and {@code bpf4j bt} uses it: kprobes, kfunc and iterators are "no" here whatever the kernel says.
 */
public final class Info {
    /** The bpftrace language version this compiler follows. */
    public static final String LANGUAGE_VERSION = "v0.17.0";

    private Info() {
    }

    /** The report, lines ending in newlines. */
    public static String report() {
        KernelInfo kernel = Features.kernel();
        StringBuilder sb = new StringBuilder();
        sb.append("System\n");
        sb.append("  OS: Linux ").append(kernel.release()).append('\n');
        sb.append("  Arch: ").append(System.getProperty("os.arch").equals("amd64") ? "x86_64"
                : System.getProperty("os.arch")).append("\n\n");
        sb.append("Build\n");
        sb.append("  version: ").append(LANGUAGE_VERSION).append(" (bpf4j bt: compiled in pure Java, no LLVM)\n");
        sb.append("  unsafe uprobe: no\n  bfd: no\n  libdw (DWARF support): yes\n\n");
        sb.append("Kernel helpers\n");
        for (String helper : new String[] {"probe_read", "probe_read_str", "probe_read_user", "probe_read_user_str",
                "probe_read_kernel", "probe_read_kernel_str", "get_current_cgroup_id", "send_signal",
                "override_return", "get_boot_ns"}) {
            String probed = helper.equals("get_boot_ns") ? "ktime_get_boot_ns" : helper;
            line(sb, helper, !helper.equals("override_return")
                    && Features.helper(ProgramType.KPROBE, probed).available());
        }
        line(sb, "dpath", false);
        line(sb, "skboutput", false);
        sb.append("\nKernel features\n");
        sb.append("  Instruction limit: 1000000\n");
        line(sb, "Loop support", Features.programType(ProgramType.TRACEPOINT).available());
        line(sb, "btf", Files.isReadable(Path.of("/sys/kernel/btf/vmlinux")));
        line(sb, "map batch", true);
        line(sb, "uprobe refcount (depends on Build:bcc bpf_attach_uprobe refcount)",
                Features.attachHook(AttachHook.UPROBE).available());
        sb.append("\nMap types\n");
        line(sb, "hash", Features.mapType(MapType.HASH).available());
        line(sb, "percpu hash", Features.mapType(MapType.PERCPU_HASH).available());
        line(sb, "array", Features.mapType(MapType.ARRAY).available());
        line(sb, "percpu array", Features.mapType(MapType.PERCPU_ARRAY).available());
        line(sb, "stack_trace", Features.mapType(MapType.STACK_TRACE).available());
        line(sb, "perf_event_array", Features.mapType(MapType.PERF_EVENT_ARRAY).available());
        sb.append("\nProbe types\n");
        line(sb, "kprobe", false);
        line(sb, "tracepoint", Features.attachHook(AttachHook.TRACEPOINT).available());
        line(sb, "perf_event", Features.attachHook(AttachHook.PERF_EVENT).available());
        line(sb, "kfunc", false);
        line(sb, "iter:task", false);
        line(sb, "iter:task_file", false);
        line(sb, "kprobe_multi", false);
        line(sb, "raw_tp_special", Features.programType(ProgramType.RAW_TRACEPOINT).available());
        return sb.toString();
    }

    private static void line(StringBuilder sb, String name, boolean yes) {
        sb.append("  ").append(name).append(": ").append(yes ? "yes" : "no").append('\n');
    }
}
