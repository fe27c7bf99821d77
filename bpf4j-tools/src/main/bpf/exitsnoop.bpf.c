/* exitsnoop: process (or, with -T, thread) exits with their age and exit status, from tp_btf/sched_process_exit,
 * which do_exit() fires once the task's exit_code is set. */
#include "bpf4j_tools.h"

BPF4J_FILTERS
const volatile bool targ_failed = false;
const volatile bool trace_by_process = true;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct event {
	__u64 ts;
	__u32 cpu;
	__u32 pid;
	__u32 tid;
	__u32 ppid;
	__u64 age; /* ns since the task started */
	int exit_code; /* as wait(2) reports it: code << 8, or the signal number (| 0x80 for a core dump) */
	char comm[TASK_COMM_LEN];
};
const struct event *unused_event;

SEC("tp_btf/sched_process_exit")
int BPF_PROG(exitsnoop_exit, struct task_struct *task, bool group_dead)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct event *e;
	int code;

	/* a process has exited when its last thread has, whichever thread that is */
	if (trace_by_process && !group_dead)
		return 0;
	if (!bpf4j_pass_pid(pid_tgid))
		return 0;
	code = task->exit_code;
	if (trace_by_process && task->signal)
		code = task->signal->group_exit_code ? task->signal->group_exit_code : code;
	if (targ_failed && code == 0)
		return 0;
	e = bpf4j_reserve(&events, sizeof(*e));
	if (!e)
		return 0;
	e->ts = bpf_ktime_get_ns();
	e->cpu = bpf_get_smp_processor_id();
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->ppid = task->real_parent->tgid;
	e->age = e->ts - task->start_time;
	e->exit_code = code;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}
