package io.bpf4j.core.elf;

import io.bpf4j.core.object.AttachType;
import io.bpf4j.core.object.ProgramSection;
import io.bpf4j.core.object.ProgramType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class ProgramSectionTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            tracepoint/syscalls/sys_enter_openat | TRACEPOINT              | -                        | syscalls/sys_enter_openat | 0
            tp/sched/sched_switch                | TRACEPOINT              | -                        | sched/sched_switch        | 0
            raw_tp/sys_enter                     | RAW_TRACEPOINT          | -                        | sys_enter                 | 0
            raw_tracepoint.w/bpf_test_finish     | RAW_TRACEPOINT_WRITABLE | -                        | bpf_test_finish           | 0
            tp_btf/sched_switch                  | TRACING                 | TRACE_RAW_TP             | sched_switch              | 0
            kprobe/do_sys_openat2                | KPROBE                  | -                        | do_sys_openat2            | 0
            kretprobe/do_sys_openat2             | KPROBE                  | -                        | do_sys_openat2            | 0
            kprobe.multi/vfs_*                   | KPROBE                  | TRACE_KPROBE_MULTI       | vfs_*                     | 0
            ksyscall/openat                      | KPROBE                  | -                        | openat                    | 0
            uprobe//bin/bash:readline            | KPROBE                  | -                        | /bin/bash:readline        | 0
            uretprobe.s//bin/bash:readline       | KPROBE                  | -                        | /bin/bash:readline        | 16
            uprobe                               | KPROBE                  | -                        | ''                        | 0
            usdt/libjvm.so:hotspot:gc__begin     | KPROBE                  | -                        | libjvm.so:hotspot:gc__begin | 0
            fentry/do_unlinkat                   | TRACING                 | TRACE_FENTRY             | do_unlinkat               | 0
            fexit/do_unlinkat                    | TRACING                 | TRACE_FEXIT              | do_unlinkat               | 0
            fentry.s/do_unlinkat                 | TRACING                 | TRACE_FENTRY             | do_unlinkat               | 16
            fmod_ret/security_file_open          | TRACING                 | MODIFY_RETURN            | security_file_open        | 0
            lsm/file_open                        | LSM                     | LSM_MAC                  | file_open                 | 0
            lsm.s/bprm_committed_creds           | LSM                     | LSM_MAC                  | bprm_committed_creds      | 16
            iter/task                            | TRACING                 | TRACE_ITER               | task                      | 0
            freplace/handler                     | EXT                     | -                        | handler                   | 0
            xdp                                  | XDP                     | XDP                      | ''                        | 0
            xdp.frags                            | XDP                     | XDP                      | ''                        | 32
            xdp/devmap                           | XDP                     | XDP_DEVMAP               | ''                        | 0
            xdp.frags/cpumap                     | XDP                     | XDP_CPUMAP               | ''                        | 32
            tc                                   | SCHED_CLS               | -                        | ''                        | 0
            classifier                           | SCHED_CLS               | -                        | ''                        | 0
            tcx/ingress                          | SCHED_CLS               | TCX_INGRESS              | ''                        | 0
            tcx/egress                           | SCHED_CLS               | TCX_EGRESS               | ''                        | 0
            tc/ingress                           | SCHED_CLS               | TCX_INGRESS              | ''                        | 0
            socket                               | SOCKET_FILTER           | -                        | ''                        | 0
            sk_skb/stream_parser                 | SK_SKB                  | SK_SKB_STREAM_PARSER     | ''                        | 0
            sk_skb/stream_verdict                | SK_SKB                  | SK_SKB_STREAM_VERDICT    | ''                        | 0
            sk_skb                               | SK_SKB                  | -                        | ''                        | 0
            sk_msg                               | SK_MSG                  | SK_MSG_VERDICT           | ''                        | 0
            cgroup_skb/ingress                   | CGROUP_SKB              | CGROUP_INET_INGRESS      | ''                        | 0
            cgroup_skb/egress                    | CGROUP_SKB              | CGROUP_INET_EGRESS       | ''                        | 0
            cgroup/sock_create                   | CGROUP_SOCK             | CGROUP_INET_SOCK_CREATE  | ''                        | 0
            cgroup/connect4                      | CGROUP_SOCK_ADDR        | CGROUP_INET4_CONNECT     | ''                        | 0
            cgroup/connect6                      | CGROUP_SOCK_ADDR        | CGROUP_INET6_CONNECT     | ''                        | 0
            cgroup/sendmsg_unix                  | CGROUP_SOCK_ADDR        | CGROUP_UNIX_SENDMSG      | ''                        | 0
            cgroup/sysctl                        | CGROUP_SYSCTL           | CGROUP_SYSCTL            | ''                        | 0
            cgroup/getsockopt                    | CGROUP_SOCKOPT          | CGROUP_GETSOCKOPT        | ''                        | 0
            cgroup/dev                           | CGROUP_DEVICE           | CGROUP_DEVICE            | ''                        | 0
            sockops                              | SOCK_OPS                | CGROUP_SOCK_OPS          | ''                        | 0
            perf_event                           | PERF_EVENT              | -                        | ''                        | 0
            struct_ops/tcp_init                  | STRUCT_OPS              | -                        | tcp_init                  | 0
            struct_ops.s/tcp_init                | STRUCT_OPS              | -                        | tcp_init                  | 16
            syscall                              | SYSCALL                 | -                        | ''                        | 16
            sk_lookup                            | SK_LOOKUP               | SK_LOOKUP                | ''                        | 0
            netfilter                            | NETFILTER               | NETFILTER                | ''                        | 0
            flow_dissector                       | FLOW_DISSECTOR          | FLOW_DISSECTOR           | ''                        | 0
            lwt_xmit                             | LWT_XMIT                | -                        | ''                        | 0
            """)
    void sectionNamesFollowLibbpf(String name, ProgramType type, AttachType attach, String target, int flags) {
        ProgramSection s = ProgramSection.of(name).orElseThrow();
        assertThat(s.type()).isEqualTo(type);
        assertThat(s.expectedAttachType()).isEqualTo(Optional.ofNullable(attach));
        assertThat(s.target()).isEqualTo(target);
        assertThat(s.flags()).isEqualTo(flags);
        assertThat(s.autoload()).isTrue();
    }

    @Test
    void questionMarkMeansNoAutoload() {
        ProgramSection s = ProgramSection.of("?tp/syscalls/sys_exit_openat").orElseThrow();
        assertThat(s.autoload()).isFalse();
        assertThat(s.type()).isEqualTo(ProgramType.TRACEPOINT);
        assertThat(s.sectionName()).isEqualTo("?tp/syscalls/sys_exit_openat");
    }

    @Test
    void exactNamesDoNotMatchPrefixesAndPrefixesNeedASlash() {
        assertThat(ProgramSection.of("xdpfoo")).isEmpty();
        assertThat(ProgramSection.of("xdp/foo")).isEmpty();
        assertThat(ProgramSection.of("kprobefoo")).isEmpty();
        assertThat(ProgramSection.of("socket1")).isEmpty();
        assertThat(ProgramSection.of(".text")).isEmpty();
        assertThat(ProgramSection.of("tp_btf")).map(ProgramSection::type).contains(ProgramType.TRACING);
        assertThat(ProgramSection.of("fentry/x").orElseThrow().attachBtf()).isTrue();
        assertThat(ProgramSection.of("kprobe/x").orElseThrow().attachBtf()).isFalse();
        assertThat(ProgramSection.knownKinds()).contains("kprobe+", "xdp", "lsm.s+");
    }
}
