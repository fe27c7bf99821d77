// Slab allocations and frees from the kmem tracepoints, each sent through its own perf buffer, as in the bcc
// introductions' memory tracer. An optional argument keeps only the processes whose command starts with it (a
// #define given to the compiler: the C is compiled again, once, for each value).
//
//   ./bpf4j script bpf4j-bcc/examples/KmemTrace.java [COMM]
import io.bpf4j.bcc.Bcc;
import io.bpf4j.bcc.compile.BccOptions;
import io.bpf4j.core.events.BtfRecord;

import java.util.List;
import java.util.Map;

public class KmemTrace {
    static final String PROGRAM = """
            #include <linux/sched.h>

            struct memory_event {
                u64 ts;
                u64 call_site;
                u64 ptr;
                u64 bytes_req;
                u64 bytes_alloc;
                u64 gfp_flags;
                u32 pid;
                char comm[TASK_COMM_LEN];
            };

            BPF_PERF_OUTPUT(allocs);
            BPF_PERF_OUTPUT(frees);

            static inline int wanted(char *comm) {
            #ifdef COMM
                char want[] = COMM;
                for (int i = 0; i < sizeof(want) - 1; i++)
                    if (comm[i] != want[i]) return 0;
            #endif
                return 1;
            }

            TRACEPOINT_PROBE(kmem, kmem_cache_alloc) {
                struct memory_event e = {};
                bpf_get_current_comm(&e.comm, sizeof(e.comm));
                if (!wanted(e.comm)) return 0;
                e.ts = bpf_ktime_get_ns();
                e.pid = bpf_get_current_pid_tgid() >> 32;
                e.call_site = args->call_site;
                e.ptr = (u64)args->ptr;
                e.bytes_req = args->bytes_req;
                e.bytes_alloc = args->bytes_alloc;
                e.gfp_flags = args->gfp_flags;
                allocs.perf_submit(args, &e, sizeof(e));
                return 0;
            }

            TRACEPOINT_PROBE(kmem, kmem_cache_free) {
                struct memory_event e = {};
                bpf_get_current_comm(&e.comm, sizeof(e.comm));
                if (!wanted(e.comm)) return 0;
                e.ts = bpf_ktime_get_ns();
                e.pid = bpf_get_current_pid_tgid() >> 32;
                e.call_site = args->call_site;
                e.ptr = (u64)args->ptr;
                frees.perf_submit(args, &e, sizeof(e));
                return 0;
            }
            """;

    public static void main(String[] args) {
        Map<String, String> defines = args.length > 0 ? Map.of("COMM", "\"" + args[0] + "\"") : Map.of();
        BccOptions options = new BccOptions("kmem.c", defines, List.of(), List.of());
        try (Bcc b = new Bcc(PROGRAM, options)) {
            b.openPerfBuffer("allocs", (cpu, e) -> print("kmem_cache_alloc", e));
            b.openPerfBuffer("frees", (cpu, e) -> print("kmem_cache_free", e));
            System.out.println("Attached to kmem:kmem_cache_alloc and kmem:kmem_cache_free; Ctrl-C to end");
            System.out.printf("%-18s %-16s %-7s %-18s %-18s %-10s %-11s %s%n", "TIME(ns)", "COMM", "PID",
                    "CALL_SITE", "PTR", "BYTES_REQ", "BYTES_ALLOC", "EVENT");
            while (true) b.perfBufferPoll();
        }
    }

    static void print(String what, BtfRecord e) {
        System.out.printf("%-18s %-16s %-7d 0x%-16x 0x%-16x %-10d %-11d %s%n", e.getUnsigned("ts"),
                e.getString("comm"), e.getLong("pid"), e.getLong("call_site"), e.getLong("ptr"),
                e.getLong("bytes_req"), e.getLong("bytes_alloc"), what);
    }
}
