/* tcpstates: every TCP state change with the socket's addresses, ports and the time spent in the old state
 * (tp_btf/inet_sock_set_state), as libbpf-tools' tcpstates. The pid and command are those of whoever runs when the
 * state changes: the process for connect(), listen() and close(), often another task or softirq otherwise. */
#include "bpf4j_tools.h"

BPF4J_FILTERS
const volatile __u16 targ_family = 0;
const volatile __u16 targ_sport = 0;
const volatile __u16 targ_dport = 0;

#define AF_INET 2
#define AF_INET6 10
#define TCP_CLOSE 7

/* When each socket entered its current state. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u64);
	__type(value, __u64);
} since SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct event {
	__u64 ts;
	__u64 skaddr;
	__u64 delta_us;
	__u32 cpu;
	__u32 pid;
	__u32 tid;
	int oldstate;
	int newstate;
	__u16 family;
	__u16 sport;
	__u16 dport;
	__u8 saddr[16];
	__u8 daddr[16];
	char comm[TASK_COMM_LEN];
};
const struct event *unused_event;

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tcpstates_state, const struct sock *sk, const int oldstate, const int newstate)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 key = (__u64)sk, now = bpf_ktime_get_ns(), *start;
	__u16 family, sport, dport;
	struct event *e;

	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	/* as the tracepoint's own sport: skc_num is already 0 when a socket moves to CLOSE */
	sport = __builtin_bswap16(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	dport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if ((targ_family && family != targ_family) || (targ_sport && sport != targ_sport)
	    || (targ_dport && dport != targ_dport) || !bpf4j_pass_pid(pid_tgid))
		goto remember;
	e = bpf4j_reserve(&events, sizeof(*e));
	if (!e)
		goto remember;
	start = bpf_map_lookup_elem(&since, &key);
	e->ts = now;
	e->skaddr = key;
	e->delta_us = start ? (now - *start) / 1000 : 0;
	e->cpu = bpf_get_smp_processor_id();
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->oldstate = oldstate;
	e->newstate = newstate;
	e->family = family;
	e->sport = sport;
	e->dport = dport;
	__builtin_memset(e->saddr, 0, sizeof(e->saddr));
	__builtin_memset(e->daddr, 0, sizeof(e->daddr));
	if (family == AF_INET) {
		bpf_core_read(e->saddr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(e->daddr, 4, &sk->__sk_common.skc_daddr);
	} else {
		bpf_core_read(e->saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(e->daddr, 16, &sk->__sk_common.skc_v6_daddr);
	}
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
remember:
	if (newstate == TCP_CLOSE)
		bpf_map_delete_elem(&since, &key);
	else
		bpf_map_update_elem(&since, &key, &now, BPF_ANY);
	return 0;
}
