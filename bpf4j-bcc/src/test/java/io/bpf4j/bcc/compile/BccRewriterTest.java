package io.bpf4j.bcc.compile;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The token-level rewrite of bcc's dialect, on text (no clang, no kernel). */
class BccRewriterTest {
    private static final Map<String, Set<String>> KERNEL = Map.of(
            "sock", Set.of("__sk_common", "sk_rcvbuf"),
            "nameidata", Set.of("path", "last", "root"));

    private static BccRewriter.Result rewrite(String source) {
        return BccRewriter.rewrite(source, "t.c", KERNEL::get);
    }

    @Test
    void mapMethodsBecomeMacroCallsOnTheSameLines() {
        BccRewriter.Result r = rewrite("""
                BPF_HASH(counts, u32);
                BPF_TABLE("percpu_array", int, u64, t, 4);
                int f(void *ctx) {
                  u32 k = 1;
                  counts.increment(k);
                  u64 *v = counts.lookup(&k);
                  return t.call(ctx, 1) + counts.pop();
                }
                """);
        assertThat(r.problems()).isEmpty();
        assertThat(r.text().lines().toList()).containsExactly(
                "BPF_HASH(counts, u32);",
                "BPF_TABLE(BPF_MAP_TYPE_PERCPU_ARRAY, int, u64, t, 4);",
                "int f(void *ctx) __attribute__((section(\"kprobe\"), used)) {",
                "  u32 k = 1;",
                "  __bpf4j_increment(counts, k);",
                "  u64 *v = __bpf4j_lookup(counts, &k);",
                "  return __bpf4j_call(t, ctx, 1) + __bpf4j_pop(counts);",
                "}");
    }

    @Test
    void columnsOfRewrittenLinesMapBack() {
        BccRewriter.Result r = rewrite("BPF_HASH(c);\nint x = c.lookup(&k) bad;\n");
        int out = r.text().lines().toList().get(1).indexOf("bad") + 1;
        assertThat(r.columns().map(2, out)).isEqualTo(new BccRewriter.Position(2, 22));
        assertThat(r.columns().map(2, 1)).isEqualTo(new BccRewriter.Position(2, 1));
    }

    @Test
    void tracepointProbesAndNamedProbesGetSectionsAndAutoAttach() {
        BccRewriter.Result r = rewrite("""
                TRACEPOINT_PROBE(sched, sched_switch) { return args->prev_pid; }
                RAW_TRACEPOINT_PROBE(sched_wakeup) { return 0; }
                int kprobe__vfs_read(struct pt_regs *ctx) { return 0; }
                static int helper(struct pt_regs *ctx) { return 0; }
                """);
        assertThat(r.autoAttach()).containsExactly(
                new AutoAttach("tracepoint__sched__sched_switch", AutoAttach.Kind.TRACEPOINT, "sched:sched_switch"),
                new AutoAttach("raw_tracepoint__sched_wakeup", AutoAttach.Kind.RAW_TRACEPOINT, "sched_wakeup"),
                new AutoAttach("kprobe__vfs_read", AutoAttach.Kind.KPROBE, "vfs_read"));
        assertThat(r.tracepoints()).containsOnlyKeys("sched:sched_switch");
        assertThat(r.text()).contains("int tracepoint__sched__sched_switch(struct tracepoint__sched__sched_switch "
                + "*args) __attribute__((section(\"tracepoint/sched/sched_switch\"), used)) { return args->prev_pid; }");
        assertThat(r.text()).contains("static int helper(struct pt_regs *ctx) { return 0; }");
    }

    @Test
    void kprobeArgumentsComeFromRegistersAndKernelPointersAreRead() {
        BccRewriter.Result r = rewrite("""
                struct val_t { struct file *fp; struct sock *sk; int n; };
                BPF_HASH(m, u32, struct val_t);
                int trace(struct pt_regs *ctx, struct sock *sk, loff_t *pos) {
                  u32 a = sk->__sk_common.skc_rcv_saddr;
                  struct sock *other = sk->sk_next->sk_prev;
                  bpf_probe_read_kernel(&a, 4, &sk->__sk_common.skc_daddr);
                  sk->sk_rcvbuf = 1;
                  struct val_t *v = m.lookup(&a);
                  v->n = v->fp->f_path.dentry->d_name.len + v->sk->sk_rcvbuf;
                  return a * *pos;
                }
                """);
        assertThat(r.text().lines().skip(2).toList()).containsExactly(
                "int trace(struct pt_regs *ctx) __attribute__((section(\"kprobe\"), used)) "
                        + "{ struct sock *sk = (struct sock *)PT_REGS_PARM1(ctx); "
                        + "loff_t *pos = (loff_t *)PT_REGS_PARM2(ctx);",
                "  u32 a = __bpf4j_kread(sk->__sk_common.skc_rcv_saddr);",
                "  struct sock *other = __bpf4j_kread(__bpf4j_kread(sk->sk_next)->sk_prev);",
                "  bpf_probe_read_kernel(&a, 4, &sk->__sk_common.skc_daddr);",
                "  sk->sk_rcvbuf = 1;",
                "  struct val_t *v = __bpf4j_lookup(m, &a);",
                "  v->n = __bpf4j_kread(__bpf4j_kread(v->fp->f_path.dentry)->d_name.len) + __bpf4j_kread(v->sk->sk_rcvbuf);",
                "  return a * __bpf4j_kread(*pos);",
                "}");
    }

    @Test
    void kernelIncludesGoAndCopiedKernelStructsAreDropped() {
        BccRewriter.Result r = rewrite("""
                #include <linux/sched.h>   /* TASK_COMM_LEN */
                #include "mine.h"
                struct nameidata { struct path path; struct qstr last; };
                struct sock { int mine; };
                struct sock *p;
                """);
        assertThat(r.text().lines().toList()).containsExactly(
                "", "#include \"mine.h\"", "", "struct sock__bcc { int mine; };",
                "struct sock__bcc *p;");
    }

    @Test
    void unsupportedConstructsAreNamedAtTheirLine() {
        BccRewriter.Result r = rewrite("""
                BPF_HASH(h);
                BPF_TABLE("nosuch", u32, u32, t, 1);
                int f(struct pt_regs *ctx) {
                  h.sum();
                  BPF_HASH_OF_MAPS(x, "h", 4);
                }
                """);
        assertThat(r.problems()).hasSize(3);
        assertThat(r.problems().get(0)).startsWith("t.c:2:11: error: unsupported bcc construct "
                + "'BPF_TABLE(\"nosuch\", …)': map type \"nosuch\" is not supported");
        assertThat(r.problems().get(1)).startsWith("t.c:5:3: error: unsupported bcc construct 'BPF_HASH_OF_MAPS'");
        assertThat(r.problems().get(2)).startsWith("t.c:4:5: error: unsupported bcc construct 'h.sum()'");
    }
}
