/* runqlat: run-queue latency — the time from a task becoming runnable (woken, or preempted while still
 * runnable) to it running on a CPU — as power-of-two histograms, globally or per process/thread/PID namespace,
 * like libbpf-tools' runqlat. Hooks tp_btf/sched_wakeup, sched_wakeup_new and sched_switch. */
#include "bpf4j_tools.h"

BPF4J_FILTERS
const volatile bool targ_per_process = false;
const volatile bool targ_per_thread = false;
const volatile bool targ_per_pidns = false;
const volatile bool targ_ms = false;

#define TASK_RUNNING 0

struct hist {
	__u32 slots[MAX_SLOTS];
	char comm[TASK_COMM_LEN];
};
const struct hist *unused_hist;

/* thread id -> when it was enqueued */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} start SEC(".maps");

/* tgid, tid or PID-namespace inode (or (u32)-1 for the global histogram) -> histogram */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct hist);
} hists SEC(".maps");

static __always_inline void enqueue(struct task_struct *t)
{
	__u32 tid = t->pid;
	__u64 ts;

	if (!tid) /* the idle task */
		return;
	if (targ_pid && t->tgid != targ_pid)
		return;
	if (targ_tid && tid != targ_tid)
		return;
	ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &tid, &ts, BPF_ANY);
}

static __always_inline __u32 pidns_of(struct task_struct *t)
{
	struct pid *pid = BPF_CORE_READ(t, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);
	return BPF_CORE_READ(pid, numbers[level].ns, ns.inum);
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(runqlat_wakeup, struct task_struct *p)
{
	enqueue(p);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(runqlat_wakeup_new, struct task_struct *p)
{
	enqueue(p);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(runqlat_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct hist zero = {};
	__u32 tid = next->pid, key;
	__u64 *tsp, delta;
	struct hist *h;

	/* preempted while runnable: it waits on the run queue from now */
	if (BPF_CORE_READ(prev, __state) == TASK_RUNNING)
		enqueue(prev);
	tsp = bpf_map_lookup_elem(&start, &tid);
	if (!tsp)
		return 0;
	delta = bpf_ktime_get_ns() - *tsp;
	if ((__s64)delta < 0)
		goto cleanup;
	if (targ_per_process)
		key = next->tgid;
	else if (targ_per_thread)
		key = tid;
	else if (targ_per_pidns)
		key = pidns_of(next);
	else
		key = (__u32)-1;
	h = bpf_map_lookup_elem(&hists, &key);
	if (!h) {
		bpf_map_update_elem(&hists, &key, &zero, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&hists, &key);
		if (!h) {
			bpf4j_count_lost();
			goto cleanup;
		}
		bpf_probe_read_kernel_str(h->comm, sizeof(h->comm), next->comm);
	}
	delta /= targ_ms ? 1000000 : 1000;
	__sync_fetch_and_add(&h->slots[bpf4j_slot(delta)], 1);
cleanup:
	bpf_map_delete_elem(&start, &tid);
	return 0;
}
