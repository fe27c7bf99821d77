/* task_switch: counts of context switches from one task to the next, keyed by (prev pid, next pid) — bcc's
 * examples/tracing/task_switch.py, on tp_btf/sched_switch instead of a kprobe on finish_task_switch. Pids are the
 * kernel's (thread ids). When recording (record_events), every switch is also an LTTng-style sched_switch event. */
#include "bpf4j_tools.h"

/* include/linux/sched.h and linux/sched/prio.h: #defines, so not in vmlinux.h */
#define TASK_UNINTERRUPTIBLE 0x0002
#define TASK_NOLOAD 0x0400
#define TASK_RTLOCK_WAIT 0x1000
#define TASK_FROZEN 0x8000
#define TASK_IDLE (TASK_UNINTERRUPTIBLE | TASK_NOLOAD)
/* RUNNING | INTERRUPTIBLE | UNINTERRUPTIBLE | __STOPPED | __TRACED | EXIT_DEAD | EXIT_ZOMBIE | PARKED */
#define TASK_REPORT 0x7f
#define TASK_REPORT_IDLE (TASK_REPORT + 1)
#define TASK_REPORT_MAX (TASK_REPORT_IDLE << 1)
#define MAX_RT_PRIO 100

BPF4J_FILTERS
/* stream every switch to `events` (set when the user records: a switch is the most frequent kernel event) */
const volatile bool record_events = false;

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

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* lttng-modules' sched_switch fields, so that Trace Compass's kernel analyses read a CTF recording as an LTTng
 * kernel trace: tids (the kernel's pids), priorities as LTTng reports them (prio - MAX_RT_PRIO: 20 for nice 0, what
 * /proc/PID/stat shows; the kernel tracepoint reports prio itself, 120), and prev_state as both compute it. */
struct sched_switch_event {
	__u64 ts;
	__u32 cpu;
	char prev_comm[TASK_COMM_LEN];
	__s32 prev_tid;
	__s32 prev_prio;
	__s64 prev_state;
	char next_comm[TASK_COMM_LEN];
	__s32 next_tid;
	__s32 next_prio;
};
const struct sched_switch_event *unused_event;

/* The kernel's __trace_sched_switch_state (trace/events/sched.h), which lttng-modules copies: a preempted task is
 * TASK_REPORT_MAX (0x100, ftrace's "R+"); otherwise the one state bit that /proc reports (S 0x1, D 0x2, T 0x4, t 0x8,
 * X 0x10, Z 0x20, P 0x40, I 0x80; 0 running), as __task_state_index picks it, so that a sleeping task is 1 or 2
 * however many modifier bits (TASK_WAKEKILL, TASK_FREEZABLE…) its raw __state has. */
static __always_inline __s64 switch_state(bool preempt, unsigned int state, unsigned int exit_state)
{
	unsigned int s;

	if (preempt)
		return TASK_REPORT_MAX;
	s = (state | exit_state) & TASK_REPORT;
	if ((state & TASK_IDLE) == TASK_IDLE)
		s = TASK_REPORT_IDLE;
	if (state & (TASK_RTLOCK_WAIT | TASK_FROZEN))
		s = TASK_UNINTERRUPTIBLE;
	/* 1 << (fls(s) - 1): its highest bit */
	return s ? 1LL << bpf4j_log2(s) : 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(task_switch, bool preempt, struct task_struct *prev, struct task_struct *next, unsigned int prev_state)
{
	struct switch_key k = { .prev_pid = prev->pid, .next_pid = next->pid };
	struct sched_switch_event *e;
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
	if (!record_events)
		return 0;
	e = bpf4j_reserve(&events, sizeof(*e));
	if (!e)
		return 0;
	e->ts = bpf_ktime_get_ns();
	/* the switch runs on the CPU it switches: the event goes to that CPU's CTF stream */
	e->cpu = bpf_get_smp_processor_id();
	/* all 16 bytes, as LTTng copies them (comm is NUL-padded): nothing stale from the ring buffer is recorded */
	bpf_probe_read_kernel(e->prev_comm, sizeof(e->prev_comm), prev->comm);
	e->prev_tid = prev->pid;
	e->prev_prio = prev->prio - MAX_RT_PRIO;
	e->prev_state = switch_state(preempt, prev_state, prev->exit_state);
	bpf_probe_read_kernel(e->next_comm, sizeof(e->next_comm), next->comm);
	e->next_tid = next->pid;
	e->next_prio = next->prio - MAX_RT_PRIO;
	bpf_ringbuf_submit(e, 0);
	return 0;
}
