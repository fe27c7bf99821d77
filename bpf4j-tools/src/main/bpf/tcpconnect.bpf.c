/* tcpconnect: active TCP connections, from the socket's move to TCP_SYN_SENT (tp_btf/inet_sock_set_state),
 * which happens inside connect() after the source address and port are chosen: no kprobe on tcp_v4_connect is
 * needed. */
#include "bpf4j_tools.h"

BPF4J_FILTERS
const volatile uid_t targ_uid = (uid_t)-1;

#define AF_INET 2
#define TCP_SYN_SENT 2

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct event {
	__u64 ts;
	__u32 cpu;
	__u32 pid;
	__u32 tid;
	__u32 uid;
	__u16 family;
	__u16 sport;
	__u16 dport;
	__u8 saddr[16];
	__u8 daddr[16];
	char comm[TASK_COMM_LEN];
};
const struct event *unused_event;

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tcpconnect_state, const struct sock *sk, const int oldstate, const int newstate)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 uid = (__u32)bpf_get_current_uid_gid();
	struct event *e;

	if (newstate != TCP_SYN_SENT || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	if (!bpf4j_pass_pid(pid_tgid) || (targ_uid != (uid_t)-1 && uid != targ_uid))
		return 0;
	e = bpf4j_reserve(&events, sizeof(*e));
	if (!e)
		return 0;
	e->ts = bpf_ktime_get_ns();
	e->cpu = bpf_get_smp_processor_id();
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->uid = uid;
	e->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	e->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->dport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	__builtin_memset(e->saddr, 0, sizeof(e->saddr));
	__builtin_memset(e->daddr, 0, sizeof(e->daddr));
	if (e->family == AF_INET) {
		bpf_core_read(e->saddr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(e->daddr, 4, &sk->__sk_common.skc_daddr);
	} else {
		bpf_core_read(e->saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(e->daddr, 16, &sk->__sk_common.skc_v6_daddr);
	}
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}
