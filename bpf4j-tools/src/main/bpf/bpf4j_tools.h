/* Shared by every tool's BPF C: the kernel types, libbpf's helper headers, and the conventions the Java side of
 * io.bpf4j.tools relies on. */
#ifndef BPF4J_TOOLS_H
#define BPF4J_TOOLS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#define TASK_COMM_LEN 16
#define NAME_MAX 255
/* Power-of-two histogram slots: slot i counts values in [2^i, 2^(i+1)) (slot 0 also 0), as libbpf-tools. */
#define MAX_SLOTS 27

char LICENSE[] SEC("license") = "GPL";

/* Events a program could not emit because the ring buffer was full, per CPU: the Java side reads this map by its
 * name and reports the sum as lost events (see ToolSession). Every tool that emits events uses bpf4j_reserve. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} bpf4j_lost SEC(".maps");

/* bpf_ringbuf_reserve that counts failures in bpf4j_lost. */
static __always_inline void *bpf4j_reserve(void *ringbuf, __u64 size)
{
	void *e = bpf_ringbuf_reserve(ringbuf, size, 0);
	if (!e) {
		__u32 zero = 0;
		__u64 *lost = bpf_map_lookup_elem(&bpf4j_lost, &zero);
		if (lost)
			(*lost)++;
	}
	return e;
}

/* Counts one lost event in bpf4j_lost (for perf buffers the kernel counts its own losses; use this for other
 * drops, e.g. a full hash map). */
static __always_inline void bpf4j_count_lost(void)
{
	__u32 zero = 0;
	__u64 *lost = bpf_map_lookup_elem(&bpf4j_lost, &zero);
	if (lost)
		(*lost)++;
}

/* bpf_ringbuf_output (for events built elsewhere than in the ring, e.g. in a per-CPU map) that counts failures
 * in bpf4j_lost. */
static __always_inline long bpf4j_output(void *ringbuf, void *data, __u64 size)
{
	long err = bpf_ringbuf_output(ringbuf, data, size, 0);
	if (err)
		bpf4j_count_lost();
	return err;
}

/* floor(log2(v)), 0 for 0 and 1. */
static __always_inline __u64 bpf4j_log2(__u64 v)
{
	__u64 r = 0;
	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) { r += 1; }
	return r;
}

/* The slot of v in a MAX_SLOTS power-of-two histogram (the last slot takes everything above). */
static __always_inline __u32 bpf4j_slot(__u64 v)
{
	__u64 s = bpf4j_log2(v);
	return s >= MAX_SLOTS ? MAX_SLOTS - 1 : (__u32)s;
}

/* The common filters: the tool's -p PID and -t TID set these before load (0: no filter); -c COMM is
 * BPF4J_COMM_FILTER. */
#define BPF4J_FILTERS \
	const volatile pid_t targ_pid = 0; \
	const volatile pid_t targ_tid = 0;

/* True when the current task passes -p/-t. */
#define bpf4j_pass_pid(id) \
	((!targ_pid || (pid_t)((id) >> 32) == targ_pid) && (!targ_tid || (pid_t)(id) == targ_tid))

/* The -c COMM filter: the tool sets targ_comm before load (empty: no filter); bpf4j_comm_passes() is true when
 * the current task's command name is targ_comm. */
#define BPF4J_COMM_FILTER \
	const volatile char targ_comm[TASK_COMM_LEN] = {}; \
	static __always_inline bool bpf4j_comm_passes(void) \
	{ \
		char comm[TASK_COMM_LEN]; \
		if (!targ_comm[0]) \
			return true; \
		bpf_get_current_comm(comm, sizeof(comm)); \
		for (int i = 0; i < TASK_COMM_LEN; i++) { \
			if (comm[i] != targ_comm[i]) \
				return false; \
			if (!comm[i]) \
				break; \
		} \
		return true; \
	}

/* The tool's own thread that names stacks while it traces (io.bpf4j.tools.Background): its work is not what the
 * tool measures, and each of its stacks named would bring more to name. In .bss: the Java side writes the thread's
 * id after load, before attaching (Background.quiet); 0, no thread left out. */
#define BPF4J_QUIET \
	__u32 bpf4j_quiet_tid = 0;

/* True when the current task (bpf_get_current_pid_tgid()'s id) is the thread BPF4J_QUIET leaves out. */
#define bpf4j_quiet(id) (bpf4j_quiet_tid && (__u32)(id) == bpf4j_quiet_tid)

#endif
