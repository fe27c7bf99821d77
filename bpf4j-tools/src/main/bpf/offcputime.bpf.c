/* offcputime: how long threads were off CPU, by the stack they blocked in. At each context switch the stack of the
 * task leaving the CPU is recorded with the time; when that task is switched back in, the elapsed time is added to
 * its (thread, stacks) total in microseconds. tp_btf/sched_switch: a BPF link, typed task pointers. */
#include "bpf4j_tools.h"
#include "cpu_stacks.h"

#define PF_KTHREAD 0x00200000

BPF4J_FILTERS
const volatile bool user_threads_only = false;
const volatile bool kernel_threads_only = false;
const volatile long targ_state = -1;
const volatile __u64 min_block_ns = 1000;
const volatile __u64 max_block_ns = (__u64)-1;

struct off {
	__u64 ts;
	struct stack_key key;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct off);
} start SEC(".maps");

static __always_inline bool allow_record(struct task_struct *t)
{
	__u32 tgid = BPF_CORE_READ(t, tgid), pid = BPF_CORE_READ(t, pid);
	unsigned int flags = BPF_CORE_READ(t, flags);

	/* the idle threads (pid 0, one per CPU) are "off CPU" exactly while the CPU is busy: not a blocking time */
	if (!pid)
		return false;
	if (bpf4j_quiet(pid))
		return false;
	if (targ_pid && tgid != targ_pid)
		return false;
	if (targ_tid && pid != targ_tid)
		return false;
	if (user_threads_only && (flags & PF_KTHREAD))
		return false;
	if (kernel_threads_only && !(flags & PF_KTHREAD))
		return false;
	if (targ_state != -1 && BPF_CORE_READ(t, __state) != targ_state)
		return false;
	return true;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(offcputime_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u64 now = bpf_ktime_get_ns();
	__u32 pid;
	struct off *o;

	if (allow_record(prev)) {
		struct off n = {};

		pid = BPF_CORE_READ(prev, pid);
		n.ts = now;
		n.key.pid = BPF_CORE_READ(prev, tgid);
		n.key.tid = pid;
		/* prev is still the current task here: the stacks are the ones it blocks in */
		stack_ids(ctx, &n.key);
		BPF_CORE_READ_STR_INTO(&n.key.comm, prev, comm);
		bpf_map_update_elem(&start, &pid, &n, BPF_ANY);
	}
	pid = BPF_CORE_READ(next, pid);
	o = bpf_map_lookup_elem(&start, &pid);
	if (!o)
		return 0;
	__u64 delta = now - o->ts;
	if (delta >= min_block_ns && delta <= max_block_ns)
		stack_count_add(&o->key, delta / 1000);
	bpf_map_delete_elem(&start, &pid);
	return 0;
}
