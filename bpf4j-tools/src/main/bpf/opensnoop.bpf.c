/* opensnoop: open(), openat() and openat2() calls with their result. Hooks the generic syscall raw tracepoints
 * (tp_btf/sys_enter, sys_exit) rather than the per-syscall tracepoints: BPF links attach and detach in
 * microseconds, where each perf-event tracepoint takes ~76 ms to close on this kernel. */
#include "bpf4j_tools.h"

BPF4J_FILTERS
const volatile uid_t targ_uid = (uid_t)-1;
const volatile bool targ_failed = false;
BPF4J_COMM_FILTER

#if defined(__TARGET_ARCH_x86)
#define NR_open 2
#define NR_openat 257
#define NR_openat2 437
#elif defined(__TARGET_ARCH_arm64)
#define NR_open -1 /* arm64 has no open(2) */
#define NR_openat 56
#define NR_openat2 437
#endif

struct args {
	const char *fname;
	int flags;
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
	__u32 uid;
	int ret;
	int flags;
	char comm[TASK_COMM_LEN];
	char fname[NAME_MAX];
};
const struct event *unused_event;

SEC("tp_btf/sys_enter")
int BPF_PROG(opensnoop_enter, struct pt_regs *regs, long id)
{
	struct args a = {};
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;

	if (id != NR_openat && id != NR_open && id != NR_openat2)
		return 0;
	if (!bpf4j_pass_pid(pid_tgid))
		return 0;
	if (targ_uid != (uid_t)-1 && targ_uid != (uid_t)bpf_get_current_uid_gid())
		return 0;
	if (!bpf4j_comm_passes())
		return 0;
	if (id == NR_open) {
		a.fname = (const char *)PT_REGS_PARM1_CORE_SYSCALL(regs);
		a.flags = (int)PT_REGS_PARM2_CORE_SYSCALL(regs);
	} else {
		a.fname = (const char *)PT_REGS_PARM2_CORE_SYSCALL(regs);
		if (id == NR_openat) {
			a.flags = (int)PT_REGS_PARM3_CORE_SYSCALL(regs);
		} else {
			struct open_how *how = (struct open_how *)PT_REGS_PARM3_CORE_SYSCALL(regs);
			__u64 flags = 0;
			bpf_probe_read_user(&flags, sizeof(flags), &how->flags);
			a.flags = (int)flags;
		}
	}
	bpf_map_update_elem(&start, &tid, &a, BPF_ANY);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(opensnoop_exit, struct pt_regs *regs, long ret)
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
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->ret = (int)ret;
	e->flags = a->flags;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_user_str(e->fname, sizeof(e->fname), a->fname);
	bpf_ringbuf_submit(e, 0);
cleanup:
	bpf_map_delete_elem(&start, &tid);
	return 0;
}
