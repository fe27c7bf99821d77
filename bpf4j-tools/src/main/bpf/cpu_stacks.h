/* Shared by profile, offcputime and stackcount: a stack trace map and a hash of counts keyed by process and
 * stack ids, read by io.bpf4j.tools.stack.Stacks (which resizes the maps before load for --stack-storage-size). */
#ifndef BPF4J_CPU_STACKS_H
#define BPF4J_CPU_STACKS_H

#define PERF_MAX_STACK_DEPTH 127

/* -K: kernel stacks only; -U: user stacks only (the other id is then -1 and not shown). */
const volatile bool kernel_stacks_only = false;
const volatile bool user_stacks_only = false;
BPF4J_QUIET

struct stack_key {
	__u32 pid;		/* process (tgid), 0 when aggregating across processes */
	__u32 tid;		/* thread, 0 when aggregating across threads */
	__s32 kern_stack_id;	/* -1 not collected; other negatives: bpf_get_stackid's error */
	__s32 user_stack_id;
	__u64 user_ip;		/* when the stack map had no room for the user stack: its innermost frame */
	char comm[TASK_COMM_LEN];
};
const struct stack_key *unused_stack_key;

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, PERF_MAX_STACK_DEPTH * sizeof(__u64));
	__uint(max_entries, 1024);
} stackmap SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct stack_key);
	__type(value, __u64);
} counts SEC(".maps");

/* Fills the stack ids of k from the current context (the task that is on the CPU). */
static __always_inline void stack_ids(void *ctx, struct stack_key *k)
{
	k->kern_stack_id = user_stacks_only ? -1 : bpf_get_stackid(ctx, &stackmap, 0);
	k->user_stack_id = kernel_stacks_only ? -1 : bpf_get_stackid(ctx, &stackmap, BPF_F_USER_STACK);
	/* A full bucket (-EEXIST) or map loses the stack; the frame the task runs in still says where its time
	 * goes. -EFAULT: there is no user stack (a kernel thread). */
	if (k->user_stack_id < -1 && k->user_stack_id != -14 /* EFAULT */) {
		struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());

		bpf_probe_read_kernel(&k->user_ip, sizeof(k->user_ip), &regs->ip);
	}
}

/* counts[k] += n; a full map is counted as lost. */
static __always_inline void stack_count_add(struct stack_key *k, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&counts, k);

	if (!v) {
		if (!bpf_map_update_elem(&counts, k, &n, BPF_NOEXIST))
			return;
		v = bpf_map_lookup_elem(&counts, k); /* another CPU inserted it first */
		if (!v) {
			bpf4j_count_lost();
			return;
		}
	}
	__sync_fetch_and_add(v, n);
}

#endif
