/* javacalls: the Java methods a HotSpot JVM calls, counted per class and method, and with targ_latency the time
 * spent in them, from its USDT probes hotspot:method__entry and hotspot:method__return (see hotspot_methods.h).
 * Calls are counted at entry. Times: each thread keeps a stack of the entry times of the calls that passed the
 * filters and are in progress (hotspot_methods.h): a return pops its own entry, so recursive calls are timed each,
 * and the calls an exception unwound (no return probe fires for them: they are counted, not timed). A return whose
 * entry came before the tool attached is not timed; nor are calls nested deeper than MAX_DEPTH. */
#include "bpf4j_tools.h"
#include <bpf/usdt.bpf.h>
#include "hotspot_methods.h"

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
	struct method_name m = {};
	struct method_counts *c;
	struct call_stack *s;

	if (!bpf4j_pass_pid(id) || !hotspot_method(&m, clazz, clazz_len, method, method_len))
		return 0;
	c = counts_of(&m);
	if (c)
		__sync_fetch_and_add(&c->calls, 1);
	if (!targ_latency)
		return 0;
	s = call_stack_of((__u32)id);
	if (s)
		call_push(s, method_id(clazz, method), bpf_ktime_get_ns());
	return 0;
}

SEC("usdt")
int BPF_USDT(javacalls_return, long jtid, void *clazz, int clazz_len, void *method, int method_len)
{
	__u64 id = bpf_get_current_pid_tgid(), now = bpf_ktime_get_ns(), entered;
	struct method_name m = {};
	struct method_counts *c;
	struct call_stack *s;

	if (!bpf4j_pass_pid(id) || !hotspot_method(&m, clazz, clazz_len, method, method_len))
		return 0;
	s = bpf_map_lookup_elem(&call_stacks, &(__u32){(__u32)id});
	if (!s || !call_pop(s, method_id(clazz, method), &entered) || !entered)
		return 0; /* entered before the tool attached, or too deep to be timed */
	c = counts_of(&m);
	if (c)
		__sync_fetch_and_add(&c->total_ns, now - entered);
	return 0;
}
