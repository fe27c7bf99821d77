/* javamonitor: monitor contention in a HotSpot JVM — how long threads wait to enter a synchronized block or method
 * that another thread holds, and how long they wait in Object.wait() — from its USDT probes
 * hotspot:monitor__contended__enter / monitor__contended__entered and hotspot:monitor__wait / monitor__waited
 * (java thread id, the monitor's address, the class name of the object locked and its length, not NUL-terminated;
 * wait also the timeout). The JVM reaches them only when started with -XX:+DTraceMonitorProbes
 * (-XX:+ExtendedDTraceProbes before JDK 25). Each pair fires on the waiting thread, so the start is kept per thread
 * (one map per kind: a thread woken from wait() may have to contend for the monitor again). One event per wait, and
 * counts, total and longest wait per class and kind, kept here for the summary. */
#include "bpf4j_tools.h"
#include <bpf/usdt.bpf.h>

#define CLASS_LEN 128

BPF4J_FILTERS
const volatile bool targ_events = true;

/* The enumerators' names are what the event's "type" field reads as (JSON, CTF, Perfetto, JFR). */
enum monitor_event { enter, wait };

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} enters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} waits SEC(".maps");

struct class_key {
	__u32 type; /* enum monitor_event */
	char name[CLASS_LEN];
};

struct totals {
	__u64 count;
	__u64 total_ns;
	__u64 max_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct class_key);
	__type(value, struct totals);
} classes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 1024);
} events SEC(".maps");

struct event {
	__u64 ts; /* the wait's end */
	__u32 cpu;
	__u32 pid;
	__u32 tid;
	enum monitor_event type;
	__u64 jtid; /* Thread.threadId() */
	__u64 monitor; /* the monitor's address in the JVM */
	__u64 wait_ns;
	char comm[TASK_COMM_LEN]; /* the thread's name, as the kernel has it (its first 15 bytes) */
	char class_name[CLASS_LEN];
};
const struct event *unused_event;

static __always_inline int begin(void *starts)
{
	__u64 id = bpf_get_current_pid_tgid(), ts = bpf_ktime_get_ns();
	__u32 tid = (__u32)id;

	if (!bpf4j_pass_pid(id))
		return 0;
	bpf_map_update_elem(starts, &tid, &ts, BPF_ANY);
	return 0;
}

static __always_inline int end(void *starts, enum monitor_event type, __u64 jtid, __u64 monitor, const void *name,
			       long len)
{
	__u64 id = bpf_get_current_pid_tgid(), now = bpf_ktime_get_ns(), delta, *start;
	__u32 tid = (__u32)id, n = len < 0 ? 0 : len > CLASS_LEN - 1 ? CLASS_LEN - 1 : len;
	struct class_key key = {.type = type};
	struct totals *t, zero = {};
	struct event *e;

	start = bpf_map_lookup_elem(starts, &tid);
	if (!start)
		return 0; /* the wait began before the tool attached */
	delta = now - *start;
	bpf_map_delete_elem(starts, &tid);
	if (bpf_probe_read_user(key.name, n, name))
		n = 0;
	key.name[n & (CLASS_LEN - 1)] = 0;
	t = bpf_map_lookup_elem(&classes, &key);
	if (!t) {
		/* BPF_NOEXIST: when another CPU added it meanwhile, this counts in its entry */
		bpf_map_update_elem(&classes, &key, &zero, BPF_NOEXIST);
		t = bpf_map_lookup_elem(&classes, &key);
	}
	if (t) {
		__sync_fetch_and_add(&t->count, 1);
		__sync_fetch_and_add(&t->total_ns, delta);
		/* not atomic: two longest waits of one class ending at the same moment on two CPUs may keep the shorter */
		if (delta > t->max_ns)
			t->max_ns = delta;
	} else {
		bpf4j_count_lost(); /* the map is full: this wait is not in the summary */
	}
	if (!targ_events)
		return 0;
	e = bpf4j_reserve(&events, sizeof(*e));
	if (!e)
		return 0;
	e->ts = now;
	e->cpu = bpf_get_smp_processor_id();
	e->pid = id >> 32;
	e->tid = tid;
	e->type = type;
	e->jtid = jtid;
	e->monitor = monitor;
	e->wait_ns = delta;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	__builtin_memcpy(e->class_name, key.name, CLASS_LEN);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("usdt")
int BPF_USDT(javamonitor_enter)
{
	return begin(&enters);
}

SEC("usdt")
int BPF_USDT(javamonitor_entered, __u64 jtid, __u64 monitor, void *name, long len)
{
	return end(&enters, enter, jtid, monitor, name, len);
}

SEC("usdt")
int BPF_USDT(javamonitor_wait)
{
	return begin(&waits);
}

SEC("usdt")
int BPF_USDT(javamonitor_waited, __u64 jtid, __u64 monitor, void *name, long len)
{
	return end(&waits, wait, jtid, monitor, name, len);
}
