/* javastat: per HotSpot JVM, how many garbage collections (hotspot:gc__begin, once per stop-the-world pause),
 * class loads (class__loaded), thread starts (thread__start), object allocations (object__alloc, reached only with
 * -XX:+DTraceAllocProbes) and Java method calls (method__entry, only with -XX:+DTraceMethodProbes) it made, counted
 * per process in a per-CPU hash (method calls can come at millions a second from every CPU: no shared counter).
 * The counters only grow; user space prints their differences. Attached for one process, or for every process that
 * maps a libjvm.so file (then targ_self, the tool's own JVM, is left out). */
#include "bpf4j_tools.h"

BPF4J_FILTERS
const volatile __u32 targ_self = 0;

struct jvm_stats {
	__u64 gc;
	__u64 cload;
	__u64 thread;
	__u64 objnew;
	__u64 method;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct jvm_stats);
} stats SEC(".maps");

static __always_inline struct jvm_stats *stats_of_current(void)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32;
	struct jvm_stats zero = {}, *s;

	if (!bpf4j_pass_pid(id) || pid == targ_self)
		return NULL;
	s = bpf_map_lookup_elem(&stats, &pid);
	if (s)
		return s;
	bpf_map_update_elem(&stats, &pid, &zero, BPF_NOEXIST);
	s = bpf_map_lookup_elem(&stats, &pid);
	if (!s)
		bpf4j_count_lost(); /* the map is full */
	return s;
}

SEC("usdt")
int javastat_gc(struct pt_regs *ctx)
{
	struct jvm_stats *s = stats_of_current();

	if (s)
		s->gc++;
	return 0;
}

SEC("usdt")
int javastat_cload(struct pt_regs *ctx)
{
	struct jvm_stats *s = stats_of_current();

	if (s)
		s->cload++;
	return 0;
}

SEC("usdt")
int javastat_thread(struct pt_regs *ctx)
{
	struct jvm_stats *s = stats_of_current();

	if (s)
		s->thread++;
	return 0;
}

SEC("usdt")
int javastat_objnew(struct pt_regs *ctx)
{
	struct jvm_stats *s = stats_of_current();

	if (s)
		s->objnew++;
	return 0;
}

SEC("usdt")
int javastat_method(struct pt_regs *ctx)
{
	struct jvm_stats *s = stats_of_current();

	if (s)
		s->method++;
	return 0;
}
