// Pages dirtied, from the writeback tracepoint, as in the bcc introductions' TRACEPOINT_PROBE example; the fields
// they printed with bpf_trace_printk come here through a ring buffer (the trace pipe is the whole system's, shared
// by every tracer: see MkdirCounter for it). The tracepoint the introductions name, writeback_dirty_page, is
// writeback_dirty_folio since Linux 5.17, with the same fields (name, ino, index).
//
//   ./bpf4j script bpf4j-bcc/examples/WritebackTrace.java
import io.bpf4j.bcc.Bcc;
import io.bpf4j.core.events.BtfRecord;

public class WritebackTrace {
    public static void main(String[] args) {
        try (Bcc b = new Bcc("""
                #include <linux/sched.h>

                struct dirty_page {
                    char bdi[32];
                    u64 ino;
                    u64 index;
                    u32 pid;
                    char comm[TASK_COMM_LEN];
                };
                BPF_RINGBUF_OUTPUT(dirtied, 64);

                TRACEPOINT_PROBE(writeback, writeback_dirty_folio) {
                    // args: the tracepoint's record, its fields as /sys/kernel/tracing/events/.../format lists them
                    struct dirty_page *d = dirtied.ringbuf_reserve(sizeof(struct dirty_page));
                    if (!d) return 0;
                    __builtin_memcpy(d->bdi, args->name, sizeof(d->bdi));
                    d->ino = args->ino;
                    d->index = args->index;
                    d->pid = bpf_get_current_pid_tgid() >> 32;
                    bpf_get_current_comm(&d->comm, sizeof(d->comm));
                    dirtied.ringbuf_submit(d, 0);
                    return 0;
                }
                """)) {
            b.openRingBuffer("dirtied", d -> print(d));
            System.out.println("Attached to writeback:writeback_dirty_folio; Ctrl-C to end");
            System.out.printf("%-16s %-7s %-8s %-12s %s%n", "COMM", "PID", "BDI", "INO", "INDEX");
            while (true) b.ringBufferPoll();
        }
    }

    static void print(BtfRecord d) {
        System.out.printf("%-16s %-7d %-8s %-12s %s%n", d.getString("comm"), d.getLong("pid"), d.getString("bdi"),
                d.getUnsigned("ino"), d.getUnsigned("index"));
    }
}
