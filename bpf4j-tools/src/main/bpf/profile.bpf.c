/* profile: samples the stack of whatever runs on each CPU at a fixed frequency (a cpu-clock perf event per CPU,
 * attached from Java) and counts each distinct (process, kernel stack, user stack). */
#include "bpf4j_tools.h"
#include "cpu_stacks.h"

BPF4J_FILTERS
const volatile bool include_idle = false;

SEC("perf_event")
int profile(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct stack_key k = {};

	if (!include_idle && (__u32)id == 0)
		return 0;
	if (!bpf4j_pass_pid(id) || bpf4j_quiet(id))
		return 0;
	k.pid = id >> 32;
	stack_ids(ctx, &k);
	bpf_get_current_comm(k.comm, sizeof(k.comm));
	stack_count_add(&k, 1);
	return 0;
}
