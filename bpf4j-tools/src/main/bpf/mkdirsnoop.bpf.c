/* mkdirsnoop: mkdir() and mkdirat() calls with their path and result. Where the kernel runs BPF trampolines, one
 * fexit program on do_mkdirat, which both syscalls call, sees the arguments and the result together (bcc's example
 * used a kprobe on the syscall); elsewhere (a kernel under lockdown refuses trampolines) the generic syscall raw
 * tracepoints (tp_btf/sys_enter, sys_exit), as opensnoop: the kernel has no typed tracepoint in the mkdir path.
 * The Java side loads one set or the other; both emit the same events. */
#include "bpf4j_tools.h"

BPF4J_FILTERS
const volatile bool targ_failed = false;

#if defined(__TARGET_ARCH_x86)
#define NR_mkdir 83
#define NR_mkdirat 258
#elif defined(__TARGET_ARCH_arm64)
#define NR_mkdir -1 /* arm64 has no mkdir(2) */
#define NR_mkdirat 34
#endif

struct args {
	const char *path;
	int mode;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct args);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct event {
	__u64 ts;
	__u32 cpu;
	__u32 pid;
	__u32 tid;
	int ret;
	int mode;
	char comm[TASK_COMM_LEN];
	char path[NAME_MAX];
};
const struct event *unused_event;

SEC("tp_btf/sys_enter")
int BPF_PROG(mkdirsnoop_enter, struct pt_regs *regs, long id)
{
	struct args a = {};
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;

	if (id != NR_mkdir && id != NR_mkdirat)
		return 0;
	if (!bpf4j_pass_pid(pid_tgid))
		return 0;
	if (id == NR_mkdir) {
		a.path = (const char *)PT_REGS_PARM1_CORE_SYSCALL(regs);
		a.mode = (int)PT_REGS_PARM2_CORE_SYSCALL(regs);
	} else {
		a.path = (const char *)PT_REGS_PARM2_CORE_SYSCALL(regs);
		a.mode = (int)PT_REGS_PARM3_CORE_SYSCALL(regs);
	}
	bpf_map_update_elem(&start, &tid, &a, BPF_ANY);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(mkdirsnoop_exit, struct pt_regs *regs, long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct args *a = bpf_map_lookup_elem(&start, &tid);
	struct event *e;

	if (!a)
		return 0;
	if (targ_failed && ret >= 0)
		goto cleanup;
	e = bpf4j_reserve(&events, sizeof(*e));
	if (!e)
		goto cleanup;
	e->ts = bpf_ktime_get_ns();
	e->cpu = bpf_get_smp_processor_id();
	e->pid = pid_tgid >> 32;
	e->tid = tid;
	e->ret = (int)ret;
	e->mode = a->mode;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_user_str(e->path, sizeof(e->path), a->path);
	bpf_ringbuf_submit(e, 0);
cleanup:
	bpf_map_delete_elem(&start, &tid);
	return 0;
}

SEC("fexit/do_mkdirat")
int BPF_PROG(mkdirsnoop_fexit, int dfd, struct filename *name, umode_t mode, int ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct event *e;

	if (!bpf4j_pass_pid(pid_tgid))
		return 0;
	if (targ_failed && ret >= 0)
		return 0;
	e = bpf4j_reserve(&events, sizeof(*e));
	if (!e)
		return 0;
	e->ts = bpf_ktime_get_ns();
	e->cpu = bpf_get_smp_processor_id();
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->ret = ret;
	e->mode = mode;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	/* the kernel's copy of the path the caller passed (getname()), as the caller wrote it */
	bpf_probe_read_kernel_str(e->path, sizeof(e->path), BPF_CORE_READ(name, name));
	bpf_ringbuf_submit(e, 0);
	return 0;
}
