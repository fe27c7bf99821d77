/* softirqs: time spent in (or number of runs of) each softirq vector, as totals or power-of-two histograms, like
 * libbpf-tools' softirqs. Hooks tp_btf/softirq_entry and softirq_exit. */
#include "bpf4j_tools.h"

const volatile bool targ_dist = false;
const volatile bool targ_ns = false;

/* NR_SOFTIRQS: HI, TIMER, NET_TX, NET_RX, BLOCK, IRQ_POLL, TASKLET, SCHED, HRTIMER, RCU */
#define VECTORS 10

struct vec {
	__u64 time;  /* nanoseconds or microseconds */
	__u64 count; /* runs */
	__u32 slots[MAX_SLOTS];
};
const struct vec *unused_vec;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VECTORS);
	__type(key, __u32);
	__type(value, struct vec);
} vecs SEC(".maps");

SEC("tp_btf/softirq_entry")
int BPF_PROG(softirq_entry, unsigned int vec_nr)
{
	__u32 zero = 0;
	__u64 *ts = bpf_map_lookup_elem(&start, &zero);

	if (ts)
		*ts = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/softirq_exit")
int BPF_PROG(softirq_exit, unsigned int vec_nr)
{
	__u32 zero = 0;
	__u64 *ts = bpf_map_lookup_elem(&start, &zero), delta;
	struct vec *v;

	if (!ts || !*ts) /* entered before we attached */
		return 0;
	delta = bpf_ktime_get_ns() - *ts;
	*ts = 0;
	v = bpf_map_lookup_elem(&vecs, &vec_nr);
	if (!v)
		return 0;
	if (!targ_ns)
		delta /= 1000;
	__sync_fetch_and_add(&v->count, 1);
	if (targ_dist)
		__sync_fetch_and_add(&v->slots[bpf4j_slot(delta)], 1);
	else
		__sync_fetch_and_add(&v->time, delta);
	return 0;
}
