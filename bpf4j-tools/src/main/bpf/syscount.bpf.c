/* syscount: system calls counted (and their time summed with -L) per syscall number or per process, like
 * libbpf-tools' syscount. Hooks the generic syscall raw tracepoints tp_btf/sys_enter and sys_exit (BPF links: they
 * detach in microseconds). A call is counted when it returns, as libbpf-tools does: calls that never return
 * (exit, exit_group) are not counted. */
#include "bpf4j_tools.h"

BPF4J_FILTERS
const volatile bool filter_failed = false;
const volatile int filter_errno = 0;
const volatile bool count_by_process = false;
const volatile bool measure_latency = false;
BPF4J_COMM_FILTER

struct data {
	__u64 count;
	__u64 total_ns;
	char comm[TASK_COMM_LEN];
};
const struct data *unused_data;

/* thread id -> sys_enter time (with -L) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} start SEC(".maps");

/* syscall number, or process id with -P -> counts */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct data);
} data SEC(".maps");

/* The syscall number at exit: what the entry code saved in pt_regs (what raw_syscalls:sys_exit reports). */
static __always_inline long syscall_nr(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_x86)
	return BPF_CORE_READ(regs, orig_ax);
#elif defined(__TARGET_ARCH_arm64)
	return BPF_CORE_READ(regs, syscallno);
#else
	return -1;
#endif
}

SEC("tp_btf/sys_enter")
int BPF_PROG(syscount_enter, struct pt_regs *regs, long id)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	__u64 ts;

	if (!measure_latency)
		return 0;
	if (!bpf4j_pass_pid(pid_tgid) || !bpf4j_comm_passes())
		return 0;
	ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &tid, &ts, BPF_ANY);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(syscount_exit, struct pt_regs *regs, long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct data zero = {}, *d;
	__u64 *tsp = NULL;
	long id;
	__u32 key;

	if (!bpf4j_pass_pid(pid_tgid) || !bpf4j_comm_passes())
		return 0;
	if (measure_latency) {
		/* no entry time: the call began before we attached */
		tsp = bpf_map_lookup_elem(&start, &tid);
		if (!tsp)
			return 0;
	}
	id = syscall_nr(regs);
	if (id < 0)
		goto cleanup;
	if (filter_failed && ret >= 0)
		goto cleanup;
	if (filter_errno && ret != -filter_errno)
		goto cleanup;
	key = count_by_process ? pid_tgid >> 32 : (__u32)id;
	d = bpf_map_lookup_elem(&data, &key);
	if (!d) {
		if (count_by_process)
			bpf_get_current_comm(zero.comm, sizeof(zero.comm));
		bpf_map_update_elem(&data, &key, &zero, BPF_NOEXIST);
		d = bpf_map_lookup_elem(&data, &key);
		if (!d) {
			bpf4j_count_lost();
			goto cleanup;
		}
	}
	__sync_fetch_and_add(&d->count, 1);
	if (tsp)
		__sync_fetch_and_add(&d->total_ns, bpf_ktime_get_ns() - *tsp);
cleanup:
	if (tsp)
		bpf_map_delete_elem(&start, &tid);
	return 0;
}
