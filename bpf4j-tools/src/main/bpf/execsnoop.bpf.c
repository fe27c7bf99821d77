/* execsnoop: execve() and execveat() calls with their arguments and result. The arguments are read at
 * tp_btf/sys_enter (the new image replaces them once exec succeeds), the result and the new command name at
 * tp_btf/sys_exit: BPF links, which attach and detach in microseconds. */
#include "bpf4j_tools.h"

#define ARGSIZE 128
#define TOTAL_MAX_ARGS 60
#define FULL_MAX_ARGS_ARR (TOTAL_MAX_ARGS * ARGSIZE)

const volatile uid_t targ_uid = (uid_t)-1;
const volatile bool ignore_failed = true; /* -x unsets it */
const volatile int max_args = 20;

#if defined(__TARGET_ARCH_x86)
#define NR_execve 59
#define NR_execveat 322
#elif defined(__TARGET_ARCH_arm64)
#define NR_execve 221
#define NR_execveat 281
#endif

struct event {
	__u64 ts;
	__u32 cpu;
	__u32 pid;
	__u32 tid;
	__u32 ppid;
	__u32 uid;
	int ret;
	int args_count;
	__u32 args_size; /* bytes of args used: NUL-separated arguments */
	char comm[TASK_COMM_LEN];
	char args[FULL_MAX_ARGS_ARR];
};
const struct event *unused_event;

/* The event being built, per thread, from exec entry to exit (too large for the BPF stack). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct event);
} execs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 1024);
} events SEC(".maps");

static const struct event empty_event = {};

SEC("tp_btf/sys_enter")
int BPF_PROG(execsnoop_enter, struct pt_regs *regs, long id)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	uid_t uid = (uid_t)bpf_get_current_uid_gid();
	const char *const *argv;
	struct event *e;

	if (id != NR_execve && id != NR_execveat)
		return 0;
	if (targ_uid != (uid_t)-1 && targ_uid != uid)
		return 0;
	if (bpf_map_update_elem(&execs, &tid, &empty_event, BPF_ANY))
		return 0;
	e = bpf_map_lookup_elem(&execs, &tid);
	if (!e)
		return 0;
	e->pid = pid_tgid >> 32;
	e->tid = tid;
	e->uid = uid;
	e->ppid = bpf_get_current_task_btf()->real_parent->tgid;
	argv = (const char *const *)(id == NR_execve ? PT_REGS_PARM2_CORE_SYSCALL(regs)
						    : PT_REGS_PARM3_CORE_SYSCALL(regs));
	for (int i = 0; i < TOTAL_MAX_ARGS && i < max_args; i++) {
		const char *arg = NULL;
		__u32 size = e->args_size;
		long n;

		bpf_probe_read_user(&arg, sizeof(arg), &argv[i]);
		if (!arg)
			return 0;
		if (size > FULL_MAX_ARGS_ARR - ARGSIZE)
			return 0;
		n = bpf_probe_read_user_str(&e->args[size], ARGSIZE, arg);
		if (n <= 0)
			return 0;
		e->args_count++;
		e->args_size += n;
	}
	/* more arguments than shown: count one more, which the Java side prints as "..." */
	{
		const char *arg = NULL;
		bpf_probe_read_user(&arg, sizeof(arg), &argv[max_args]);
		if (arg)
			e->args_count++;
	}
	return 0;
}

/* A thread other than the leader that execs takes the leader's id: move its entry there for sys_exit to find. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(execsnoop_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u32 old = old_pid;
	struct event *e;

	if (old == tid)
		return 0;
	e = bpf_map_lookup_elem(&execs, &old);
	if (!e)
		return 0;
	bpf_map_update_elem(&execs, &tid, e, BPF_ANY);
	bpf_map_delete_elem(&execs, &old);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(execsnoop_exit, struct pt_regs *regs, long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct event *e = bpf_map_lookup_elem(&execs, &tid);

	if (!e)
		return 0;
	if (ignore_failed && ret < 0)
		goto cleanup;
	e->ts = bpf_ktime_get_ns();
	e->cpu = bpf_get_smp_processor_id();
	e->ret = (int)ret;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf4j_output(&events, e, sizeof(*e));
cleanup:
	bpf_map_delete_elem(&execs, &tid);
	return 0;
}
