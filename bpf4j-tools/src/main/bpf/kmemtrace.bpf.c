/* kmemtrace: the kernel's slab allocations and frees (kmalloc, kfree, kmem_cache_alloc, kmem_cache_free), one
 * event each, or counted per call site in the kernel with -s. Hooks the kmem tracepoints as typed raw tracepoints
 * (tp_btf: BPF links, and the kmem_cache pointer is typed, so the cache's name and sizes are read from it). These
 * events are among the most frequent in the kernel: the filters (pid, comm, and the tool's own process, whose
 * printing allocates) are applied here, before anything is reserved. */
#include "bpf4j_tools.h"

BPF4J_FILTERS
const volatile pid_t self_pid = 0;
BPF4J_COMM_FILTER
const volatile bool summary = false;

#define CACHE_NAME_LEN 32

/* Named as the tracepoints: the JSON output shows these names. */
enum kmem_tracepoint { kmalloc, kfree, kmem_cache_alloc, kmem_cache_free };

struct event {
	__u64 ts;
	__u32 cpu;
	__u32 pid;
	__u32 tid;
	enum kmem_tracepoint tracepoint;
	const void *call_site;	/* pointers: the JSON output shows them in hex */
	const void *ptr;
	__u64 bytes_req;
	__u64 bytes_alloc;
	__u32 gfp_flags;
	__s32 node;
	char comm[TASK_COMM_LEN];
	char cache[CACHE_NAME_LEN];
};
const struct event *unused_event;

/* -s: what each call site did, summed in the kernel. */
struct site {
	__u64 allocs;
	__u64 frees;
	__u64 bytes_req;
	__u64 bytes_alloc;
	char cache[CACHE_NAME_LEN];	/* the cache of the site's first kmem_cache event; empty for kmalloc/kfree */
};
const struct site *unused_site;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u64);
	__type(value, struct site);
} sites SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 1024);
} events SEC(".maps");

static __always_inline bool passes(void)
{
	__u64 id = bpf_get_current_pid_tgid();

	if (self_pid && (pid_t)(id >> 32) == self_pid)
		return false;
	return bpf4j_pass_pid(id) && bpf4j_comm_passes();
}

static __always_inline void count(__u64 call_site, bool alloc, __u64 bytes_req, __u64 bytes_alloc,
				  const struct kmem_cache *s)
{
	struct site *v = bpf_map_lookup_elem(&sites, &call_site);

	if (!v) {
		struct site zero = {};

		if (s)
			bpf_probe_read_kernel_str(zero.cache, sizeof(zero.cache), BPF_CORE_READ(s, name));
		bpf_map_update_elem(&sites, &call_site, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&sites, &call_site);
		if (!v) {
			bpf4j_count_lost(); /* the map is full */
			return;
		}
	}
	if (alloc) {
		__sync_fetch_and_add(&v->allocs, 1);
		__sync_fetch_and_add(&v->bytes_req, bytes_req);
		__sync_fetch_and_add(&v->bytes_alloc, bytes_alloc);
	} else {
		__sync_fetch_and_add(&v->frees, 1);
	}
}

static __always_inline void emit(enum kmem_tracepoint tp, __u64 call_site, const void *ptr, __u64 bytes_req,
				 __u64 bytes_alloc, gfp_t gfp_flags, int node, const struct kmem_cache *s)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct event *e;

	if (summary) {
		count(call_site, tp == kmalloc || tp == kmem_cache_alloc, bytes_req, bytes_alloc, s);
		return;
	}
	e = bpf4j_reserve(&events, sizeof(*e));
	if (!e)
		return;
	e->ts = bpf_ktime_get_ns();
	e->cpu = bpf_get_smp_processor_id();
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->tracepoint = tp;
	e->call_site = (const void *)call_site;
	e->ptr = ptr;
	e->bytes_req = bytes_req;
	e->bytes_alloc = bytes_alloc;
	e->gfp_flags = gfp_flags;
	e->node = node;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->cache[0] = 0;
	if (s)
		bpf_probe_read_kernel_str(e->cache, sizeof(e->cache), BPF_CORE_READ(s, name));
	bpf_ringbuf_submit(e, 0);
}

SEC("tp_btf/kmalloc")
int BPF_PROG(kmemtrace_kmalloc, unsigned long call_site, const void *ptr, size_t bytes_req, size_t bytes_alloc,
	     gfp_t gfp_flags, int node)
{
	if (passes())
		emit(kmalloc, call_site, ptr, bytes_req, bytes_alloc, gfp_flags, node, NULL);
	return 0;
}

SEC("tp_btf/kfree")
int BPF_PROG(kmemtrace_kfree, unsigned long call_site, const void *ptr)
{
	if (passes())
		emit(kfree, call_site, ptr, 0, 0, 0, -1, NULL);
	return 0;
}

/* The tracepoint reports the cache's object size as requested and its slot size as allocated. */
SEC("tp_btf/kmem_cache_alloc")
int BPF_PROG(kmemtrace_cache_alloc, unsigned long call_site, const void *ptr, struct kmem_cache *s,
	     gfp_t gfp_flags, int node)
{
	if (passes())
		emit(kmem_cache_alloc, call_site, ptr, BPF_CORE_READ(s, object_size), BPF_CORE_READ(s, size),
		     gfp_flags, node, s);
	return 0;
}

SEC("tp_btf/kmem_cache_free")
int BPF_PROG(kmemtrace_cache_free, unsigned long call_site, const void *ptr, const struct kmem_cache *s)
{
	if (passes())
		emit(kmem_cache_free, call_site, ptr, 0, 0, 0, -1, s);
	return 0;
}
