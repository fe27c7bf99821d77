/* javacalls: the Java methods a HotSpot JVM calls, counted per class and method, and with targ_latency the time
 * spent in them, from its USDT probes hotspot:method__entry and hotspot:method__return (see hotspot_methods.h).
 * Calls are counted at entry. Times: each thread keeps a stack of the entry times of the calls that passed the
 * filters and are in progress; a return pops its own entry, so recursive calls are timed each. A return whose
 * entry came before the tool attached finds the stack empty and is not timed. Calls nested deeper than MAX_DEPTH
 * are counted, not timed. */
#include "bpf4j_tools.h"
#include <bpf/usdt.bpf.h>
#include "hotspot_methods.h"

#define MAX_DEPTH 64

BPF4J_FILTERS
const volatile bool targ_latency = false;

struct method_counts {
	__u64 calls;
	__u64 total_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct method_name);
	__type(value, struct method_counts);
} counts SEC(".maps");

struct thread_calls {
	__u32 depth;
	__u64 entered[MAX_DEPTH];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct thread_calls);
} threads SEC(".maps");

/* Never written: what a thread's stack starts from (too large for the BPF stack). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct thread_calls);
} empty SEC(".maps");

static __always_inline struct method_counts *counts_of(struct method_name *m)
{
	struct method_counts zero = {}, *c = bpf_map_lookup_elem(&counts, m);

	if (c)
		return c;
	/* BPF_NOEXIST: when another CPU added it meanwhile, this counts in its entry */
	bpf_map_update_elem(&counts, m, &zero, BPF_NOEXIST);
	c = bpf_map_lookup_elem(&counts, m);
	if (!c)
		bpf4j_count_lost(); /* the map is full: this call is not counted */
	return c;
}

SEC("usdt")
int BPF_USDT(javacalls_entry, long jtid, void *clazz, int clazz_len, void *method, int method_len)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id, zero = 0, d;
	struct method_name m = {};
	struct method_counts *c;
	struct thread_calls *t;

	if (!bpf4j_pass_pid(id) || !hotspot_method(&m, clazz, clazz_len, method, method_len))
		return 0;
	c = counts_of(&m);
	if (c)
		__sync_fetch_and_add(&c->calls, 1);
	if (!targ_latency)
		return 0;
	t = bpf_map_lookup_elem(&threads, &tid);
	if (!t) {
		struct thread_calls *e = bpf_map_lookup_elem(&empty, &zero);

		if (!e)
			return 0;
		bpf_map_update_elem(&threads, &tid, e, BPF_NOEXIST);
		t = bpf_map_lookup_elem(&threads, &tid);
		if (!t) {
			bpf4j_count_lost();
			return 0;
		}
	}
	d = t->depth;
	t->depth = d + 1;
	if (d >= MAX_DEPTH)
		return 0;
	barrier_var(d); /* keeps the mask, which the verifier needs to bound the index */
	t->entered[d & (MAX_DEPTH - 1)] = bpf_ktime_get_ns();
	return 0;
}

SEC("usdt")
int BPF_USDT(javacalls_return, long jtid, void *clazz, int clazz_len, void *method, int method_len)
{
	__u64 id = bpf_get_current_pid_tgid(), now = bpf_ktime_get_ns(), entered;
	__u32 tid = (__u32)id, d;
	struct method_name m = {};
	struct method_counts *c;
	struct thread_calls *t;

	if (!bpf4j_pass_pid(id) || !hotspot_method(&m, clazz, clazz_len, method, method_len))
		return 0;
	t = bpf_map_lookup_elem(&threads, &tid);
	if (!t || !t->depth)
		return 0; /* entered before the tool attached */
	d = --t->depth;
	if (d >= MAX_DEPTH)
		return 0;
	barrier_var(d); /* keeps the mask, which the verifier needs to bound the index */
	entered = t->entered[d & (MAX_DEPTH - 1)];
	c = counts_of(&m);
	if (c)
		__sync_fetch_and_add(&c->total_ns, now - entered);
	return 0;
}
