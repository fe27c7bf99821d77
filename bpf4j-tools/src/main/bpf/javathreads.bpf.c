/* javathreads: the threads a HotSpot JVM starts and stops, from its USDT probes hotspot:thread__start and
 * hotspot:thread__stop (thread name, name length, java.lang.Thread id, the thread's kernel id, whether it is a
 * daemon), which the JVM fires without any flag, on the thread itself: at its start before it runs its Java code,
 * at its end after. The name is read with its length (names longer than the event's field are cut). */
#include "bpf4j_tools.h"
#include <bpf/usdt.bpf.h>

#define THREAD_NAME_LEN 128

BPF4J_FILTERS

/* The enumerators' names are what the event's "type" field reads as (JSON, CTF, Perfetto, JFR). */
enum thread_event { start, stop };

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct event {
	__u64 ts;
	__u32 cpu;
	__u32 pid;
	__u32 tid; /* the kernel's id of the thread, as the probe gives it */
	__u32 daemon;
	__u64 jtid; /* Thread.threadId() */
	enum thread_event type;
	char name[THREAD_NAME_LEN];
};
const struct event *unused_event;

static __always_inline int emit(enum thread_event type, const void *name, long len, __u64 jtid, __u64 tid,
				__u64 daemon)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct event *e;
	__u32 n;

	if (!bpf4j_pass_pid(id))
		return 0;
	e = bpf4j_reserve(&events, sizeof(*e));
	if (!e)
		return 0;
	n = len < 0 ? 0 : len > THREAD_NAME_LEN - 1 ? THREAD_NAME_LEN - 1 : len;
	e->ts = bpf_ktime_get_ns();
	e->cpu = bpf_get_smp_processor_id();
	e->pid = id >> 32;
	e->tid = tid;
	e->daemon = daemon != 0;
	e->jtid = jtid;
	e->type = type;
	if (bpf_probe_read_user(e->name, n, name))
		n = 0;
	e->name[n & (THREAD_NAME_LEN - 1)] = 0;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("usdt")
int BPF_USDT(javathreads_start, void *name, long len, __u64 jtid, __u64 tid, __u64 daemon)
{
	return emit(start, name, len, jtid, tid, daemon);
}

SEC("usdt")
int BPF_USDT(javathreads_stop, void *name, long len, __u64 jtid, __u64 tid, __u64 daemon)
{
	return emit(stop, name, len, jtid, tid, daemon);
}
