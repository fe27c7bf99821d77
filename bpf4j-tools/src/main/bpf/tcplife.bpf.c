/* tcplife: one event per TCP session when it closes — process, addresses, ports, data bytes sent and received, and
 * how long it lived — as libbpf-tools' tcplife, from tp_btf/inet_sock_set_state alone. A session is born at its
 * socket's first move to SYN_SENT, SYN_RECV or ESTABLISHED (listening sockets never are) and ends at TCP_CLOSE;
 * sessions already open when the tool starts are not reported, as they have no birth time. */
#include "bpf4j_tools.h"

BPF4J_FILTERS
const volatile __u16 targ_family = 0;
/* -L / -D: only sessions whose local / remote port is a key of lports / rports (filled before attach). */
const volatile bool filter_lport = false;
const volatile bool filter_rport = false;

#define AF_INET 2

#define SYN_SENT 1   /* connect()ed: its own SYN went out */
#define SYN_ACKED 2  /* and reached ESTABLISHED: the kernel counted that SYN in bytes_acked */

/* What a session's close needs from earlier state changes. */
struct session {
	__u64 birth;
	__u32 pid; /* 0 until known */
	__u32 flags;
	char comm[TASK_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u64); /* struct sock * */
	__type(value, struct session);
} sessions SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u16);
	__type(value, __u8);
} lports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u16);
	__type(value, __u8);
} rports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct event {
	__u64 ts;
	__u64 span_ns;
	__u64 tx_bytes;
	__u64 rx_bytes;
	__u32 cpu;
	__u32 pid;
	__u16 family;
	__u16 sport;
	__u16 dport;
	__u8 saddr[16];
	__u8 daddr[16];
	char comm[TASK_COMM_LEN];
};
const struct event *unused_event;

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tcplife_state, struct sock *sk, const int oldstate, const int newstate)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	__u64 key = (__u64)sk, now = bpf_ktime_get_ns(), tx, rx;
	struct session *s, fresh = {};
	__u16 family, sport, dport;
	struct event *e;

	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	s = bpf_map_lookup_elem(&sessions, &key);
	if (!s) {
		if (newstate != TCP_SYN_SENT && newstate != TCP_SYN_RECV && newstate != TCP_ESTABLISHED)
			return 0;
		fresh.birth = now;
		if (bpf_map_update_elem(&sessions, &key, &fresh, BPF_NOEXIST)) {
			bpf4j_count_lost(); /* the map is full: this session will go unreported */
			return 0;
		}
		s = bpf_map_lookup_elem(&sessions, &key);
		if (!s)
			return 0;
	}
	if (newstate == TCP_SYN_SENT)
		s->flags |= SYN_SENT;
	else if (newstate == TCP_ESTABLISHED && (s->flags & SYN_SENT))
		s->flags |= SYN_ACKED;
	/* connect(), and close() or shutdown() (the moves to FIN_WAIT1 and LAST_ACK), run in the owner's syscall;
	 * an accepted session's other changes run in softirqs on behalf of anyone. The first of these names the
	 * owner: who connected, else who closed. */
	if (!s->pid && (newstate == TCP_SYN_SENT || newstate == TCP_FIN_WAIT1 || newstate == TCP_LAST_ACK)) {
		s->pid = bpf_get_current_pid_tgid() >> 32;
		bpf_get_current_comm(s->comm, sizeof(s->comm));
	}
	if (newstate != TCP_CLOSE)
		return 0;

	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	/* skc_num is 0 by now (the move to CLOSE released the port first); inet_sport still holds it */
	sport = __builtin_bswap16(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	dport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if ((targ_family && family != targ_family) || (filter_lport && !bpf_map_lookup_elem(&lports, &sport))
	    || (filter_rport && !bpf_map_lookup_elem(&rports, &dport)))
		goto done;
	if (!s->pid) { /* closed by a reset or a timeout before its owner ever closed it */
		s->pid = bpf_get_current_pid_tgid() >> 32;
		bpf_get_current_comm(s->comm, sizeof(s->comm));
	}
	if (targ_pid && s->pid != targ_pid)
		goto done;

	/* bytes_acked and bytes_received count sequence numbers: data, plus one for a SYN and one for a FIN.
	 * Our SYN counts when we connected and got to ESTABLISHED (an accepted socket starts past it). Our FIN,
	 * queued on the way to FIN_WAIT1 or LAST_ACK, is the last sequence number: acked when snd_una reached
	 * write_seq. The peer's FIN counts once tcp_fin() took it, which sets SOCK_DONE. */
	tx = BPF_CORE_READ(tp, bytes_acked);
	rx = BPF_CORE_READ(tp, bytes_received);
	if ((s->flags & SYN_ACKED) && tx)
		tx--;
	if ((oldstate == TCP_FIN_WAIT1 || oldstate == TCP_FIN_WAIT2 || oldstate == TCP_CLOSING
	     || oldstate == TCP_LAST_ACK) && tx && BPF_CORE_READ(tp, snd_una) == BPF_CORE_READ(tp, write_seq))
		tx--;
	if ((BPF_CORE_READ(sk, __sk_common.skc_flags) & (1UL << bpf_core_enum_value(enum sock_flags, SOCK_DONE))) && rx)
		rx--;

	e = bpf4j_reserve(&events, sizeof(*e));
	if (!e)
		goto done;
	e->ts = now;
	e->span_ns = now - s->birth;
	e->tx_bytes = tx;
	e->rx_bytes = rx;
	e->cpu = bpf_get_smp_processor_id();
	e->pid = s->pid;
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
	__builtin_memcpy(e->comm, s->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
done:
	bpf_map_delete_elem(&sessions, &key);
	return 0;
}
