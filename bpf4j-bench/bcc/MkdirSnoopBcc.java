// mkdirsnoop written bcc-style, for bpf4j-bench/run-bcc-bench: the same job as the prebuilt 'bpf4j mkdirsnoop'
// (each mkdir: pid, command, path), its C compiled at run time. Its first line says it is attached, with how long
// the Bcc constructor took (compile or cache, load, attach).
import io.bpf4j.bcc.Bcc;
import io.bpf4j.core.events.BtfRecord;


public class MkdirSnoopBcc {
    public static void main(String[] args) {
        long t0 = System.nanoTime();
        try (Bcc b = new Bcc("""
                #include <linux/sched.h>
                struct event { u32 pid; char comm[TASK_COMM_LEN]; char path[256]; };
                struct event *unused_event;
                BPF_PERF_OUTPUT(events);
                TRACEPOINT_PROBE(syscalls, sys_enter_mkdir) {
                    struct event e = {};
                    e.pid = bpf_get_current_pid_tgid() >> 32;
                    bpf_get_current_comm(&e.comm, sizeof(e.comm));
                    bpf_probe_read_user_str(&e.path, sizeof(e.path), args->pathname);
                    events.perf_submit(args, &e, sizeof(e));
                    return 0;
                }
                """)) {
            b.openPerfBuffer("events", "event", (cpu, e) -> print(e));
            long bcc = (System.nanoTime() - t0) / 1_000_000;
            System.out.printf("Attached: Bcc %d ms (%s)%n", bcc, b.compiled().fromCache() ? "cached" : "compiled");
            System.out.printf("%-7s %-16s %s%n", "PID", "COMM", "PATH");
            while (true) b.perfBufferPoll();
        }
    }

    static void print(BtfRecord e) {
        System.out.printf("%-7d %-16s %s%n", e.getLong("pid"), e.getString("comm"), e.getString("path"));
    }
}
