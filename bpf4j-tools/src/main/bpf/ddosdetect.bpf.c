/* ddosdetect: a packet-rate alarm. Every received packet (XDP on one interface, or the net:netif_receive_skb
 * tracepoint for all of them) is counted in a fixed time window shared by all CPUs; the packet that brings the
 * window's count to the limit (threshold × window) emits one alarm event for that window. */
#include "bpf4j_tools.h"

const volatile __u64 window_ns = 1000000000;
const volatile __u64 limit = 1000;

struct window {
	__u64 start;
	__u64 packets;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct window);
} win SEC(".maps");

/* Every packet seen, per CPU: the summary at exit. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} total SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

struct event {
	__u64 ts;
	__u32 cpu;
	__u32 pad;
	__u64 packets;    /* packets in the window when the limit was reached */
	__u64 elapsed_ns; /* since the window began */
};
const struct event *unused_event;

static __always_inline void count_packet(void)
{
	__u32 zero = 0;
	struct window *w = bpf_map_lookup_elem(&win, &zero);
	__u64 *t = bpf_map_lookup_elem(&total, &zero);
	__u64 now = bpf_ktime_get_ns(), start, n;
	struct event *e;

	if (t)
		(*t)++;
	if (!w)
		return;
	start = w->start;
	if (now - start >= window_ns) {
		/* one CPU opens the next window; a packet another CPU counts meanwhile may land in either */
		if (__sync_val_compare_and_swap(&w->start, start, now) == start)
			w->packets = 0;
	}
	n = __sync_fetch_and_add(&w->packets, 1) + 1;
	if (n != limit)
		return;
	e = bpf4j_reserve(&events, sizeof(*e));
	if (!e)
		return;
	e->ts = now;
	e->cpu = bpf_get_smp_processor_id();
	e->pad = 0;
	e->packets = n;
	start = w->start; /* another CPU may have opened a window since */
	e->elapsed_ns = now > start ? now - start : 0;
	bpf_ringbuf_submit(e, 0);
}

SEC("xdp")
int ddos_xdp(struct xdp_md *ctx)
{
	count_packet();
	return XDP_PASS;
}

SEC("tp_btf/netif_receive_skb")
int BPF_PROG(ddos_rx, struct sk_buff *skb)
{
	count_packet();
	return 0;
}
