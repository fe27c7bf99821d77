package io.bpf4j.bcc.compile;

import io.bpf4j.core.BpfObject;
import io.bpf4j.core.VerifierException;
import io.bpf4j.core.link.Link;
import io.bpf4j.core.link.Tracepoint;
import io.bpf4j.core.link.Usdt;
import io.bpf4j.core.object.ObjectSpec;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** bcc-dialect sources compiled with clang against this kernel's vmlinux.h and loaded into this kernel. */
@KernelTest
class BccCompilerKernelTest {
    @TempDir
    static Path cache;
    static BccCompiler compiler;

    @BeforeAll
    static void compiler() {
        compiler = BccCompiler.create(cache.resolve("bcc"),
                List.of(Path.of("/usr/local/bin"), Path.of("/usr/bin"), Path.of("/bin")));
    }

    private static BpfObject load(CompiledSource compiled) {
        return BpfObject.load(ObjectSpec.read(compiled.object()));
    }

    @Test
    void everyMapMacroAndMethodCompilesAndLoads() {
        String source = """
                #include <uapi/linux/ptrace.h>
                #include <linux/sched.h>

                struct key_t { u32 pid; char comm[TASK_COMM_LEN]; };
                struct event_t { u32 pid; u64 ts; char comm[TASK_COMM_LEN]; };
                struct lpm_key { u32 prefixlen; u32 addr; };

                BPF_HASH(plain);
                BPF_HASH(by_pid, u32);
                BPF_HASH(starts, u32, u64);
                BPF_HASH(sized, struct key_t, u64, 1024);
                BPF_ARRAY(slots);
                BPF_ARRAY(flags, u32, 4);
                BPF_HISTOGRAM(dist);
                BPF_HISTOGRAM(keyed, struct key_t);
                BPF_PERCPU_HASH(pc_hash, u32, u64);
                BPF_PERCPU_ARRAY(pc_array, u64, 2);
                BPF_PERF_OUTPUT(events);
                BPF_RINGBUF_OUTPUT(ring, 8);
                BPF_STACK_TRACE(stacks, 128);
                BPF_LPM_TRIE(trie, struct lpm_key, u64, 16);
                BPF_PROG_ARRAY(jumps, 4);
                BPF_TABLE("hash", u32, u64, table_hash, 64);
                BPF_TABLE("percpu_array", int, u64, table_pc, 2);
                BPF_TABLE("histogram", struct key_t, u64, table_hist, 64);
                BPF_QUEUE(queue, u64, 16);

                TRACEPOINT_PROBE(syscalls, sys_enter_getpid) {
                    u32 pid = bpf_get_current_pid_tgid() >> 32;
                    u64 ts = bpf_ktime_get_ns(), zero = 0, one = 1;
                    struct key_t key = {.pid = pid};
                    bpf_get_current_comm(&key.comm, sizeof(key.comm));
                    plain.update(&ts, &ts);
                    by_pid.insert(&pid, &ts);
                    u64 *start = starts.lookup(&pid);
                    if (start) { u64 delta = ts - *start; dist.increment(bpf_log2l(delta)); }
                    starts.delete(&pid);
                    u64 *c = sized.lookup_or_try_init(&key, &zero);
                    if (c) { (*c)++; }
                    c = sized.lookup_or_init(&key, &zero);
                    slots.increment(0);
                    slots.atomic_increment(1, 2);
                    flags.update(&(int){0}, &(u32){1});
                    keyed.increment(key);
                    pc_hash.increment(pid);
                    pc_array.increment(1);
                    table_hash.increment(pid, 3);
                    table_pc.increment(0);
                    table_hist.increment(key);
                    struct event_t e = {.pid = pid, .ts = ts};
                    bpf_get_current_comm(&e.comm, sizeof(e.comm));
                    events.perf_submit(args, &e, sizeof(e));
                    ring.ringbuf_output(&e, sizeof(e), 0);
                    struct event_t *r = ring.ringbuf_reserve(sizeof(struct event_t));
                    if (r) { r->pid = pid; ring.ringbuf_submit(r, 0); }
                    r = ring.ringbuf_reserve(sizeof(struct event_t));
                    if (r) { ring.ringbuf_discard(r, 0); }
                    int id = stacks.get_stackid(args, BPF_F_USER_STACK);
                    queue.push(&ts, 0);
                    u64 v;
                    queue.pop(&v);
                    queue.peek(&v);
                    jumps.call(args, 1);
                    bpf_trace_printk("pid %d stack %d\\n", pid, id);
                    return 0;
                }
                """;
        CompiledSource compiled = compiler.compile(source, BccOptions.defaults("maps.c"));
        assertThat(compiled.autoAttach()).containsExactly(new AutoAttach("tracepoint__syscalls__sys_enter_getpid",
                AutoAttach.Kind.TRACEPOINT, "syscalls:sys_enter_getpid"));
        try (BpfObject object = load(compiled)) {
            assertThat(object.maps().keySet()).contains("plain", "by_pid", "starts", "sized", "slots", "flags",
                    "dist", "keyed", "pc_hash", "pc_array", "events", "ring", "stacks", "trie", "jumps",
                    "table_hash", "table_pc", "table_hist", "queue");
            assertThat(object.programs()).containsKey("tracepoint__syscalls__sys_enter_getpid");
        }
    }

    @Test
    void tracepointProbeReadsArgsFieldsAndKernelPointersAsBccDoes(@TempDir Path dir) throws Exception {
        // args->filename/flags/mode from the tracepoint's format; t->real_parent->tgid through CO-RE reads
        String source = """
                #include <linux/sched.h>
                struct seen_t { u64 flags; u64 mode; u32 ppid; };
                BPF_HASH(seen, struct name_t, struct seen_t, 64);
                struct name_t { char name[128]; };

                TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
                    if ((bpf_get_current_pid_tgid() >> 32) != TARGET_PID)
                        return 0;
                    struct name_t key = {};
                    bpf_probe_read_user_str(key.name, sizeof(key.name), args->filename);
                    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
                    struct seen_t value = {.flags = args->flags, .mode = args->mode};
                    value.ppid = task->real_parent->tgid;
                    seen.update(&key, &value);
                    return 0;
                }
                """.replace("BPF_HASH(seen, struct name_t, struct seen_t, 64);\nstruct name_t { char name[128]; };",
                "struct name_t { char name[128]; };\nBPF_HASH(seen, struct name_t, struct seen_t, 64);");
        BccOptions options = BccOptions.defaults("openat.c")
                .withDefine("TARGET_PID", Long.toString(ProcessHandle.current().pid()));
        CompiledSource compiled = compiler.compile(source, options);
        assertThat(compiled.autoAttach()).containsExactly(new AutoAttach("tracepoint__syscalls__sys_enter_openat",
                AutoAttach.Kind.TRACEPOINT, "syscalls:sys_enter_openat"));
        Path marker = dir.resolve("bcc-marker");
        try (BpfObject object = load(compiled);
             Link link = Tracepoint.attach(object.program("tracepoint__syscalls__sys_enter_openat"), "syscalls",
                     "sys_enter_openat")) {
            try (SeekableByteChannel ch = Files.newByteChannel(marker, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(new byte[] {1}));
            }
            byte[] key = Arrays.copyOf(marker.toString().getBytes(StandardCharsets.UTF_8), 128);
            Optional<byte[]> value = object.map("seen").lookup(key);
            assertThat(value).as("the open of " + marker + " was seen").isPresent();
            ByteBuffer v = ByteBuffer.wrap(value.get()).order(ByteOrder.nativeOrder());
            long flags = v.getLong(0);
            long mode = v.getLong(8);
            int ppid = v.getInt(16);
            assertThat(flags & 0100).as("O_CREAT in flags 0%o", flags).isEqualTo(0100);
            assertThat(flags & 0200).as("O_EXCL in flags 0%o", flags).isEqualTo(0200);
            assertThat(mode).as("mode").isNotZero();
            assertThat((long) ppid).isEqualTo(ProcessHandle.current().parent().orElseThrow().pid());
        }
    }

    @Test
    void kprobeArgumentsAndPointerChainsCompileToRegisterAndCoreReads() {
        // kprobes are not always there to attach; what matters here is that the verifier accepts the reads
        String source = """
                #include <net/sock.h>
                #include <bcc/proto.h>
                BPF_HASH(currsock, u32, struct sock *);
                BPF_HASH(ports, u16, u64);
                int kprobe__tcp_v4_connect(struct pt_regs *ctx, struct sock *sk) {
                    u32 pid = bpf_get_current_pid_tgid();
                    currsock.update(&pid, &sk);
                    return 0;
                }
                int kretprobe__tcp_v4_connect(struct pt_regs *ctx) {
                    u32 pid = bpf_get_current_pid_tgid();
                    struct sock **skpp = currsock.lookup(&pid);
                    if (skpp == 0) return 0;
                    struct sock *skp = *skpp;
                    u32 saddr = skp->__sk_common.skc_rcv_saddr;
                    u16 dport = skp->__sk_common.skc_dport;
                    if (PT_REGS_RC(ctx) == 0 && saddr != 0)
                        ports.increment(ntohs(dport));
                    currsock.delete(&pid);
                    return 0;
                }
                int trace_inet(struct pt_regs *ctx, struct sock *sk, int backlog) {
                    u16 family = sk->__sk_common.skc_family;
                    struct net *net = sk->__sk_common.skc_net.net;
                    u64 uid = sk->sk_uid.val + backlog + family + (u64) net;
                    ports.increment(1, uid);
                    return 0;
                }
                """;
        CompiledSource compiled = compiler.compile(source, BccOptions.defaults("tcp.c"));
        assertThat(compiled.autoAttach()).containsExactly(
                new AutoAttach("kprobe__tcp_v4_connect", AutoAttach.Kind.KPROBE, "tcp_v4_connect"),
                new AutoAttach("kretprobe__tcp_v4_connect", AutoAttach.Kind.KRETPROBE, "tcp_v4_connect"));
        try (BpfObject object = load(compiled)) {
            assertThat(object.programs()).containsKeys("kprobe__tcp_v4_connect", "kretprobe__tcp_v4_connect",
                    "trace_inet");
        }
    }

    @Test
    void theSecondCompileComesFromTheCacheWithoutRunningClang(@TempDir Path bin) throws Exception {
        // a clang that leaves a mark each time it runs
        Path marks = bin.resolve("runs");
        Path clang = bin.resolve("clang-19");
        Files.writeString(clang, "#!/bin/sh\necho run >> '" + marks + "'\nexec /usr/bin/clang-19 \"$@\"\n");
        clang.toFile().setExecutable(true);
        BccCompiler counting = BccCompiler.create(compiler.cacheDir(), List.of(bin));
        String source = "BPF_ARRAY(counts);\nTRACEPOINT_PROBE(sched, sched_process_exec) { counts.increment(0); "
                + "return 0; }\n";
        CompiledSource first = counting.compile(source, BccOptions.defaults("cached.c"));
        assertThat(first.fromCache()).isFalse();
        assertThat(Files.readAllLines(marks)).hasSize(1);
        CompiledSource second = counting.compile(source, BccOptions.defaults("cached.c"));
        assertThat(second.fromCache()).isTrue();
        assertThat(second.object()).isEqualTo(first.object());
        assertThat(second.autoAttach()).isEqualTo(first.autoAttach());
        assertThat(Files.readAllLines(marks)).as("clang runs").hasSize(1);
        CompiledSource other = counting.compile(source, BccOptions.defaults("cached.c").withDefine("X", "1"));
        assertThat(other.fromCache()).as("other options, another object").isFalse();
        assertThat(Files.readAllLines(marks)).as("clang runs").hasSize(2);
        try (BpfObject object = load(second)) {
            assertThat(object.programs()).containsKey("tracepoint__sched__sched_process_exec");
        }
    }

    @Test
    void aCSyntaxErrorIsReportedAtTheLineOfTheSourceString() {
        String source = """
                BPF_HASH(counts, u32);

                TRACEPOINT_PROBE(syscalls, sys_enter_getpid) {
                    u32 pid = bpf_get_current_pid_tgid() >> 32;
                    counts.increment(pid) undeclared_thing;
                    return 0;
                }
                """;
        assertThatThrownBy(() -> compiler.compile(source, BccOptions.defaults("Syntax.java")))
                .isInstanceOf(BccCompileException.class)
                .satisfies(e -> assertThat(((BccCompileException) e).problems()).first().asString()
                        .startsWith("Syntax.java:5:").contains("error: expected ';'"));
    }

    @Test
    void anUnknownDialectConstructIsNamedWithItsLine() {
        String source = """
                BPF_HASH(counts, u32);
                TRACEPOINT_PROBE(syscalls, sys_enter_getpid) {
                    u32 pid = 0;
                    counts.frobnicate(&pid);
                    return 0;
                }
                """;
        assertThatThrownBy(() -> compiler.compile(source, BccOptions.defaults("prog.c")))
                .isInstanceOf(BccCompileException.class)
                .hasMessageStartingWith("prog.c:4:12: error: unsupported bcc construct 'counts.frobnicate()'");
    }

    @Test
    void aMissingClangSaysHowToGetIt(@TempDir Path emptyCache, @TempDir Path emptyBin) {
        BccCompiler noClang = BccCompiler.create(emptyCache, List.of(emptyBin));
        assertThatThrownBy(() -> noClang.compile("BPF_ARRAY(a);\n", BccOptions.defaults("a.c")))
                .isInstanceOf(BccCompileException.class)
                .hasMessage("clang not found (looked for clang-19, clang on PATH): bcc sources are compiled at run "
                        + "time; install it with 'apt-get install clang-19'");
    }

    @Test
    void aVerifierRejectionPointsAtTheSourceLine() {
        String source = """
                BPF_HASH(counts, u32, u64);
                TRACEPOINT_PROBE(syscalls, sys_enter_getpid) {
                    u32 key = bpf_get_current_pid_tgid();
                    u64 *value = counts.lookup(&key);
                    return *value + 1; /* no NULL check */
                }
                """;
        CompiledSource compiled = compiler.compile(source, BccOptions.defaults("Reject.java"));
        assertThatThrownBy(() -> load(compiled).close())
                .isInstanceOf(VerifierException.class)
                .hasMessageContaining("Reject.java:5")
                .hasMessageContaining("return *value + 1;");
    }

    @Test
    void usdtArgumentsAreReadAsBccReadsThem(@TempDir Path dir) throws Exception {
        assumeTrue(Files.exists(Path.of("/sys/bus/event_source/devices/uprobe/type")), "no uprobe PMU");
        assumeTrue(Files.exists(Path.of("/usr/include/sys/sdt.h"))
                || Files.exists(Path.of("/usr/include/x86_64-linux-gnu/sys/sdt.h")),
                "sys/sdt.h missing: apt-get install systemtap-sdt-dev");
        Path target = dir.resolve("usdt_target");
        Process gcc = new ProcessBuilder("gcc", "-O2", "-o", target.toString(), "src/test/c/usdt_target.c")
                .redirectErrorStream(true).start();
        String gccOut = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(gcc.waitFor()).as("gcc: " + gccOut).isZero();
        String source = """
                BPF_ARRAY(out, u64, 3);
                int on_tick(struct pt_regs *ctx) {
                    int i = -1;
                    long k = 0;
                    bpf_usdt_readarg(1, ctx, &i);
                    bpf_usdt_readarg(2, ctx, &k);
                    out.increment(0);
                    out.increment(1, i);
                    out.increment(2, k);
                    return 0;
                }
                """;
        CompiledSource compiled = compiler.compile(source, BccOptions.defaults("usdt.c"));
        int n = 7;
        try (BpfObject object = load(compiled)) {
            try (Link link = Usdt.attach(object, object.program("on_tick"), target + ":bcctest:tick", -1)) {
                Process run = new ProcessBuilder(target.toString(), Integer.toString(n)).start();
                assertThat(run.waitFor()).isZero();
            }
            assertThat(slot(object, 0)).as("hits").isEqualTo(n);
            assertThat(slot(object, 1)).as("sum of i").isEqualTo((long) n * (n - 1) / 2);
            assertThat(slot(object, 2)).as("sum of the constant 42").isEqualTo(42L * n);
        }
    }

    private static long slot(BpfObject object, int index) {
        byte[] key = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(index).array();
        return ByteBuffer.wrap(object.map("out").lookup(key).orElseThrow()).order(ByteOrder.nativeOrder()).getLong();
    }
}
