/* stackcount: counts the distinct stacks that reach an event chosen at run time. The same counting body behind
 * three program types, the Java side attaching the one that fits: a raw tracepoint (by name, a BPF link), a
 * perf-event tracepoint (syscalls:* have no raw tracepoint of their own), or a kprobe on a kernel function. */
#include "bpf4j_tools.h"
#include "cpu_stacks.h"

BPF4J_FILTERS
/* -P: one entry per process; user stacks also need the process to be symbolized */
const volatile bool per_pid = false;

static __always_inline int count(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct stack_key k = {};

	if (!bpf4j_pass_pid(id) || bpf4j_quiet(id))
		return 0;
	if (per_pid || !kernel_stacks_only) {
		k.pid = id >> 32;
		bpf_get_current_comm(k.comm, sizeof(k.comm));
	}
	stack_ids(ctx, &k);
	stack_count_add(&k, 1);
	return 0;
}

SEC("raw_tp")
int stackcount_raw_tp(void *ctx)
{
	return count(ctx);
}

SEC("tracepoint")
int stackcount_tp(void *ctx)
{
	return count(ctx);
}

SEC("kprobe")
int stackcount_kprobe(struct pt_regs *ctx)
{
	return count(ctx);
}
