package io.bpf4j.bcc;

import io.bpf4j.bcc.compile.BccCompiler;
import io.bpf4j.bcc.compile.BccOptions;
import io.bpf4j.core.events.BtfRecord;
import io.bpf4j.core.link.Kprobe;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** The host API against this kernel: auto-attach, tables typed by BTF, perf buffers, the kprobe fallback. */
@KernelTest
class BccKernelTest {
    @TempDir
    static Path cache;
    @TempDir
    Path dir;
    static BccCompiler compiler;

    @BeforeAll
    static void compiler() {
        compiler = BccCompiler.create(cache.resolve("bcc"), List.of(Path.of("/usr/bin"), Path.of("/bin")));
    }

    private static Bcc bcc(String text) {
        return new Bcc(text, BccOptions.defaults("test.c"), compiler);
    }

    private static long pid() {
        return ProcessHandle.current().pid();
    }

    @Test
    void tracepointProbeCountsIntoATypedHash() throws Exception {
        try (Bcc b = bcc("""
                struct key_t { u32 pid; char comm[16]; };
                BPF_HASH(counts, struct key_t, u64);
                TRACEPOINT_PROBE(syscalls, sys_enter_mkdir) {
                    struct key_t k = {};
                    k.pid = bpf_get_current_pid_tgid() >> 32;
                    bpf_get_current_comm(&k.comm, sizeof(k.comm));
                    counts.increment(k);
                    return 0;
                }
                """)) {
            for (int i = 0; i < 3; i++) Files.createDirectory(dir.resolve("d" + i));
            BccTable counts = b.get("counts");
            Optional<Object> mine = counts.items().stream()
                    .filter(e -> ((BtfRecord) e.key()).getLong("pid") == pid())
                    .map(BccTable.Entry::value).findFirst();
            assertThat(mine).contains(3L);
            assertThat(counts.get(Map.of("pid", pid(), "comm", ((BtfRecord) counts.keys().stream()
                    .filter(k -> ((BtfRecord) k).getLong("pid") == pid()).findFirst().orElseThrow())
                    .getString("comm")))).contains(3L);
            counts.clear();
            assertThat(counts.items()).isEmpty();
        }
    }

    @Test
    void aKprobeOnASyscallWithoutKprobesFailsWithTheReasonAndTheHelperAttachesItsTracepoint() throws Exception {
        assumeFalse(Kprobe.availability().available(), "this kernel has kprobes: the fallback is not needed");
        String text = """
                struct event_t { u32 pid; char fname[64]; };
                BPF_PERF_OUTPUT(events);
                int trace_mkdir(struct pt_regs *ctx, const char __user *pathname) {
                    struct event_t e = {};
                    e.pid = bpf_get_current_pid_tgid() >> 32;
                    bpf_probe_read_user_str(&e.fname, sizeof(e.fname), pathname);
                    events.perf_submit(ctx, &e, sizeof(e));
                    return 0;
                }
                """;
        try (Bcc b = bcc(text)) {
            String fn = b.getSyscallFnName("mkdir");
            assertThatThrownBy(() -> b.attachKprobe(fn, "trace_mkdir"))
                    .isInstanceOf(BccException.class)
                    .hasMessageContaining("kprobe " + fn)
                    .hasMessageContaining(Kprobe.availability().reason())
                    .hasMessageContaining("attachSyscallEntry");
            b.attachSyscallEntry(fn, "trace_mkdir");
            List<String> seen = new ArrayList<>();
            b.openPerfBuffer("events", (cpu, e) -> {
                if (e.getLong("pid") == pid()) seen.add(e.getString("fname"));
            });
            Path made = dir.resolve("made-by-" + pid());
            Files.createDirectory(made);
            while (!seen.contains(made.toString())) b.perfBufferPoll(1000);
            assertThat(seen).contains(made.toString());
            assertThat(b.attachments()).containsExactly("tracepoint/syscalls:sys_enter_mkdir [trace_mkdir]");
            b.detachSyscallEntry(fn);
            assertThat(b.attachments()).isEmpty();
        }
    }

    @Test
    void kprobeFunctionOnASyscallAutoAttachesThroughItsTracepoint() throws Exception {
        assumeFalse(Kprobe.availability().available(), "this kernel has kprobes: the fallback is not needed");
        try (Bcc b = bcc("""
                BPF_HASH(seen, u32, u64);
                int kprobe____x64_sys_mkdir(struct pt_regs *ctx) {
                    u32 pid = bpf_get_current_pid_tgid() >> 32;
                    u64 mode = PT_REGS_PARM2(ctx);
                    seen.update(&pid, &mode);
                    return 0;
                }
                """)) {
            Files.createDirectory(dir.resolve("mode"));
            // Java creates directories with mode 0777 (the umask applies in the kernel, after the tracepoint)
            assertThat(b.get("seen").get(pid())).contains(0777L);
        }
    }

    @Test
    void syscallFunctionReadsItsNamedArgumentsThroughTheTracepoint() throws Exception {
        assumeFalse(Kprobe.availability().available(), "this kernel has kprobes: the fallback is not needed");
        try (Bcc b = bcc("""
                struct call_t { u32 pid; u32 mode; char path[64]; };
                BPF_PERF_OUTPUT(calls);
                int syscall__mkdir(struct pt_regs *ctx, const char __user *pathname, umode_t mode) {
                    struct call_t c = {};
                    c.pid = bpf_get_current_pid_tgid() >> 32;
                    c.mode = mode;
                    bpf_probe_read_user_str(&c.path, sizeof(c.path), pathname);
                    calls.perf_submit(ctx, &c, sizeof(c));
                    return 0;
                }
                """)) {
            b.attachSyscallEntry(b.getSyscallFnName("mkdir"), "syscall__mkdir");
            Map<String, Long> modes = new HashMap<>(); // path → mode, of this process's mkdirs
            b.openPerfBuffer("calls", (cpu, c) -> { // decoded as struct call_t, which the source does not name here
                if (c.getLong("pid") == pid()) modes.put(c.getString("path"), c.getLong("mode"));
            });
            Path made = dir.resolve("syscall-" + pid());
            Files.createDirectory(made);
            while (!modes.containsKey(made.toString())) b.perfBufferPoll(1000);
            assertThat(modes.get(made.toString())).isEqualTo(0777L); // Java's mode; the umask applies later
        }
    }
}
