/* javaflow: the flow of Java method calls in a HotSpot JVM — one event per entry and per return of the methods that
 * pass the filters, with the call depth of the thread (counting only those methods), from the USDT probes
 * hotspot:method__entry and hotspot:method__return (see hotspot_methods.h). A return is matched with its entry on
 * the thread's call stack, so the calls an exception unwound (which fire no return) no longer count in the depth;
 * a return whose entry came before the tool attached is shown at depth 0. */
#include "bpf4j_tools.h"
#include <bpf/usdt.bpf.h>
#include "hotspot_methods.h"

BPF4J_FILTERS

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 1024);
} events SEC(".maps");

struct event {
	__u64 ts;
	__u32 cpu;
	__u32 pid;
	__u32 tid;
	__u32 depth; /* of the call: 1 for the outermost that passed the filters on its thread; 0 entered unseen */
	__u8 ret;    /* 0 entry, 1 return */
	char clazz[CLASS_LEN];
	char method[METHOD_LEN];
};
const struct event *unused_event;

static __always_inline int flow(void *clazz, int clazz_len, void *method, int method_len, bool ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 entered;
	__u32 tid = (__u32)id, depth;
	struct call_stack *s;
	struct method_name m = {};
	struct event *e;

	if (!bpf4j_pass_pid(id) || !hotspot_method(&m, clazz, clazz_len, method, method_len))
		return 0;
	s = call_stack_of(tid);
	if (!s)
		return 0;
	if (ret)
		depth = call_pop(s, method_id(clazz, method), &entered);
	else
		depth = call_push(s, method_id(clazz, method), 0);
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
