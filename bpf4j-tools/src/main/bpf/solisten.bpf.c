/* solisten: listen() on TCP sockets, from the socket's move to TCP_LISTEN (tp_btf/inet_sock_set_state, which
 * fires in the listen() call itself): address, port, backlog and network namespace, as bcc's solisten. */
#include "bpf4j_tools.h"

BPF4J_FILTERS

#define AF_INET 2
#define AF_INET6 10
#define TCP_LISTEN 10

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

struct event {
	__u64 ts;
	__u32 cpu;
	__u32 pid;
	__u32 tid;
	__u32 netns;
	__u32 backlog;
	__u16 family;
	__u16 port;
	__u8 addr[16];
	char comm[TASK_COMM_LEN];
};
const struct event *unused_event;

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(solisten_state, const struct sock *sk, const int oldstate, const int newstate)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct event *e;

	if (newstate != TCP_LISTEN || !bpf4j_pass_pid(pid_tgid))
		return 0;
	e = bpf4j_reserve(&events, sizeof(*e));
	if (!e)
		return 0;
	e->ts = bpf_ktime_get_ns();
	e->cpu = bpf_get_smp_processor_id();
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	e->backlog = BPF_CORE_READ(sk, sk_max_ack_backlog);
	e->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	e->port = BPF_CORE_READ(sk, __sk_common.skc_num);
	__builtin_memset(e->addr, 0, sizeof(e->addr));
	if (e->family == AF_INET)
		bpf_core_read(e->addr, 4, &sk->__sk_common.skc_rcv_saddr);
	else
		bpf_core_read(e->addr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}
