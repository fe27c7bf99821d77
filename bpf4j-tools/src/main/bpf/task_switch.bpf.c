/* task_switch: counts of context switches from one task to the next, keyed by (prev pid, next pid) — bcc's
 * examples/tracing/task_switch.py, on tp_btf/sched_switch instead of a kprobe on finish_task_switch. Pids are the
 * kernel's (thread ids). */
#include "bpf4j_tools.h"

BPF4J_FILTERS

struct switch_key {
	__u32 prev_pid;
	__u32 next_pid;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct switch_key);
	__type(value, __u64);
} counts SEC(".maps");

SEC("tp_btf/sched_switch")
int BPF_PROG(task_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct switch_key k = { .prev_pid = prev->pid, .next_pid = next->pid };
	__u64 one = 1, *n;

	/* -p keeps switches into or out of that process */
	if (targ_pid && prev->tgid != targ_pid && next->tgid != targ_pid)
		return 0;
	n = bpf_map_lookup_elem(&counts, &k);
	if (n) {
		__sync_fetch_and_add(n, 1);
	} else if (bpf_map_update_elem(&counts, &k, &one, BPF_NOEXIST)) {
		/* full map (or a racing insert, rare): count it rather than lose it silently */
		n = bpf_map_lookup_elem(&counts, &k);
		if (n)
			__sync_fetch_and_add(n, 1);
		else
			bpf4j_count_lost();
	}
	return 0;
}
