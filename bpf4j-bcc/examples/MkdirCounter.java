// The mkdir tracer of the bcc introductions, in Java: one C function per way of getting data out of the kernel.
//
//   ./bpf4j script bpf4j-bcc/examples/MkdirCounter.java trace   # bpf_trace_printk, read with traceFields()
//   ./bpf4j script bpf4j-bcc/examples/MkdirCounter.java perf    # a struct per mkdir through a perf buffer
//   ./bpf4j script bpf4j-bcc/examples/MkdirCounter.java count   # a hash of counts per process, printed at the end
//
// Each function is written for a kprobe on the mkdir system call. Where the kernel has no kprobes the kprobe is
// refused (the reason is printed) and the same function is attached to the syscalls:sys_enter_mkdir tracepoint,
// where PT_REGS_PARM1(ctx), and the named argument, are the path. 'count' prints its table when stdin ends.
import io.bpf4j.bcc.Bcc;
import io.bpf4j.bcc.BccException;
import io.bpf4j.bcc.BccTable;
import io.bpf4j.core.events.TraceLine;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

public class MkdirCounter {
    static final String PROGRAM = """
            #include <uapi/linux/ptrace.h>
            #include <linux/sched.h>

            // what 'perf' sends: read in Java field by field, as a ctypes Structure would
            struct mkdir_event {
                u64 ts;
                u32 pid;
                char comm[TASK_COMM_LEN];
                char path[64];
            };
            BPF_PERF_OUTPUT(mkdirs);

            BPF_HASH(per_pid, u32, u64);

            int say_mkdir(struct pt_regs *ctx) {
                u32 pid = bpf_get_current_pid_tgid() >> 32;
                bpf_trace_printk("mkdir by pid %d\\n", pid);
                return 0;
            }

            int send_mkdir(struct pt_regs *ctx, const char __user *pathname) {
                struct mkdir_event e = {};
                e.ts = bpf_ktime_get_ns();
                e.pid = bpf_get_current_pid_tgid() >> 32;
                bpf_get_current_comm(&e.comm, sizeof(e.comm));
                bpf_probe_read_user_str(&e.path, sizeof(e.path), pathname);
                mkdirs.perf_submit(ctx, &e, sizeof(e));
                return 0;
            }

            int count_mkdir(struct pt_regs *ctx) {
                u32 pid = bpf_get_current_pid_tgid() >> 32;
                per_pid.increment(pid);
                return 0;
            }
            """;

    public static void main(String[] args) throws IOException {
        String mode = args.length > 0 ? args[0] : "trace";
        String fn = switch (mode) {
            case "trace" -> "say_mkdir";
            case "perf" -> "send_mkdir";
            case "count" -> "count_mkdir";
            default -> throw new IllegalArgumentException("mode: trace, perf or count, not " + mode);
        };
        try (Bcc b = new Bcc(PROGRAM)) {
            String event = b.getSyscallFnName("mkdir");
            try {
                b.attachKprobe(event, fn);
            } catch (BccException noKprobes) {
                System.err.println(noKprobes.getMessage());
                b.attachSyscallEntry(event, fn);
            }
            switch (mode) {
                case "trace" -> {
                    System.out.println("Attached " + fn + " to mkdir; Ctrl-C to end");
                    while (true) {
                        TraceLine l = b.traceFields(); // (task, pid, cpu, flags, ts, msg)
                        System.out.printf("%s at %f ==> %s%n", l.message(), l.timestamp(), l.task());
                    }
                }
                case "perf" -> {
                    b.openPerfBuffer("mkdirs", MkdirCounter::print);
                    System.out.printf("Attached %s to mkdir; Ctrl-C to end%n%-18s %-7s %-16s %s%n", fn,
                            "TIME(ns)", "PID", "COMM", "PATH");
                    while (true) b.perfBufferPoll();
                }
                default -> {
                    System.out.println("Attached " + fn + " to mkdir; counting until stdin ends");
                    System.in.transferTo(java.io.OutputStream.nullOutputStream());
                    BccTable perPid = b.get("per_pid");
                    System.out.printf("%-7s %s%n", "PID", "MKDIRS");
                    for (BccTable.Entry e : perPid.items()) System.out.printf("%-7d %d%n", e.key(), e.value());
                }
            }
        }
    }

    // struct mkdir_event: u64 ts at 0, u32 pid at 8, char comm[16] at 12, char path[64] at 28
    static void print(int cpu, MemorySegment data, int size) {
        long ts = data.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        int pid = data.get(ValueLayout.JAVA_INT_UNALIGNED, 8);
        System.out.printf("%-18d %-7d %-16s %s%n", ts, pid, cString(data, 12, 16), cString(data, 28, 64));
        System.out.flush();
    }

    static String cString(MemorySegment data, long offset, int max) {
        byte[] b = data.asSlice(offset, max).toArray(ValueLayout.JAVA_BYTE);
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }
}
