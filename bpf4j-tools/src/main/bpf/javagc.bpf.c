/* javagc: GC pauses of a HotSpot JVM, from its USDT probes hotspot:gc__begin (argument: whether the collection is
 * full) to hotspot:gc__end, which the JVM fires around each stop-the-world collection. Both fire on the thread that
 * runs the pause (the VM thread), so the start is kept per thread. One event per pause, or (targ_hist) a
 * power-of-two histogram of the pause times. */
#include "bpf4j_tools.h"
#include <bpf/usdt.bpf.h>

BPF4J_FILTERS
const volatile __u64 targ_min_ns = 0; /* -t: only pauses at least this long */
const volatile bool targ_hist = false;
const volatile bool targ_ms = false;

struct start {
	__u64 ts;
	__u32 full;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct start);
} starts SEC(".maps");

struct hist {
	__u32 slots[MAX_SLOTS];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hist);
} hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct event {
	__u64 ts; /* the pause's end */
	__u32 cpu;
	__u32 pid;
	__u32 tid;
	__u32 full;
	__u64 pause_ns;
};
const struct event *unused_event;

SEC("usdt")
int BPF_USDT(javagc_begin, bool full)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct start s = {.ts = bpf_ktime_get_ns(), .full = full};

	if (!bpf4j_pass_pid(id))
		return 0;
	bpf_map_update_elem(&starts, &tid, &s, BPF_ANY);
	return 0;
}

SEC("usdt")
int BPF_USDT(javagc_end)
{
	__u64 id = bpf_get_current_pid_tgid(), now = bpf_ktime_get_ns(), delta;
	__u32 tid = (__u32)id, zero = 0, full;
	struct start *s;
	struct event *e;
	struct hist *h;

	s = bpf_map_lookup_elem(&starts, &tid);
	if (!s)
		return 0; /* the pause began before the tool attached */
	delta = now - s->ts;
	full = s->full;
	bpf_map_delete_elem(&starts, &tid);
	if (delta < targ_min_ns)
		return 0;
	if (targ_hist) {
		h = bpf_map_lookup_elem(&hist, &zero);
		if (h)
			__sync_fetch_and_add(&h->slots[bpf4j_slot(delta / (targ_ms ? 1000000 : 1000))], 1);
		return 0;
	}
	e = bpf4j_reserve(&events, sizeof(*e));
	if (!e)
		return 0;
	e->ts = now;
	e->cpu = bpf_get_smp_processor_id();
	e->pid = id >> 32;
	e->tid = tid;
	e->full = full;
	e->pause_ns = delta;
	bpf_ringbuf_submit(e, 0);
	return 0;
}
