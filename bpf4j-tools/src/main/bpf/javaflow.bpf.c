/* javaflow: the flow of Java method calls in a HotSpot JVM — one event per entry and per return of the methods that
 * pass the filters, with the call depth of the thread (counting only those methods), from the USDT probes
 * hotspot:method__entry and hotspot:method__return (see hotspot_methods.h). A return whose entry came before the
 * tool attached is shown at depth 0. */
#include "bpf4j_tools.h"
#include <bpf/usdt.bpf.h>
#include "hotspot_methods.h"

BPF4J_FILTERS

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u32);
} depths SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 1024);
} events SEC(".maps");

struct event {
	__u64 ts;
	__u32 cpu;
	__u32 pid;
	__u32 tid;
	__u32 depth; /* of the call: 1 for the first that passed the filters on its thread */
	__u8 ret;    /* 0 entry, 1 return */
	char clazz[CLASS_LEN];
	char method[METHOD_LEN];
};
const struct event *unused_event;

static __always_inline int flow(void *clazz, int clazz_len, void *method, int method_len, bool ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id, zero = 0, depth, *d;
	struct method_name m = {};
	struct event *e;

	if (!bpf4j_pass_pid(id) || !hotspot_method(&m, clazz, clazz_len, method, method_len))
		return 0;
	d = bpf_map_lookup_elem(&depths, &tid);
	if (!d) {
		bpf_map_update_elem(&depths, &tid, &zero, BPF_NOEXIST);
		d = bpf_map_lookup_elem(&depths, &tid);
		if (!d) {
			bpf4j_count_lost();
			return 0;
		}
	}
	if (ret) {
		depth = *d;
		if (*d)
			(*d)--;
	} else {
		depth = ++(*d);
	}
	e = bpf4j_reserve(&events, sizeof(*e));
	if (!e)
		return 0;
	e->ts = bpf_ktime_get_ns();
	e->cpu = bpf_get_smp_processor_id();
	e->pid = id >> 32;
	e->tid = tid;
	e->depth = depth;
	e->ret = ret;
	__builtin_memcpy(e->clazz, m.clazz, CLASS_LEN);
	__builtin_memcpy(e->method, m.method, METHOD_LEN);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("usdt")
int BPF_USDT(javaflow_entry, long jtid, void *clazz, int clazz_len, void *method, int method_len)
{
	return flow(clazz, clazz_len, method, method_len, false);
}

SEC("usdt")
int BPF_USDT(javaflow_return, long jtid, void *clazz, int clazz_len, void *method, int method_len)
{
	return flow(clazz, clazz_len, method, method_len, true);
}
