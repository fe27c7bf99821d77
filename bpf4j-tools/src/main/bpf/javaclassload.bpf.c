/* javaclassload: the classes a HotSpot JVM loads and unloads, from its USDT probes hotspot:class__loaded and
 * hotspot:class__unloaded (class name, name length, the class loader's id, whether the class came from the CDS
 * archive), which the JVM fires without any flag: loaded once a class is defined, unloaded when the collector frees
 * it with its loader. The name is not NUL-terminated (its length is the second argument; longer names are cut). The
 * loader's id is its ClassLoaderData's address, the same for every class of one loader. One event per class, or
 * (targ_count) counts per loader, with the first class it was seen to load to tell which loader it is. */
#include "bpf4j_tools.h"
#include <bpf/usdt.bpf.h>

#define CLASS_LEN 256
#define FIRST_LEN 128

BPF4J_FILTERS
const volatile bool targ_count = false;

/* The enumerators' names are what the event's "type" field reads as (JSON, CTF, Perfetto, JFR). */
enum class_event { load, unload };

struct loader_counts {
	__u64 loaded;
	__u64 unloaded;
	char first[FIRST_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct loader_counts);
} loaders SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 1024);
} events SEC(".maps");

struct event {
	__u64 ts;
	__u32 cpu;
	__u32 pid;
	__u32 tid;
	__u32 shared; /* from the CDS archive */
	__u64 loader;
	enum class_event type;
	char name[CLASS_LEN];
};
const struct event *unused_event;

/* Reads a name of len bytes (not NUL-terminated) into dst[size], cut to size - 1 bytes; size is a power of two. */
static __always_inline void read_name(char *dst, __u32 size, const void *name, long len)
{
	__u32 n = len < 0 ? 0 : len > size - 1 ? size - 1 : len;

	if (bpf_probe_read_user(dst, n, name))
		n = 0;
	dst[n & (size - 1)] = 0;
}

static __always_inline int count(enum class_event type, const void *name, long len, __u64 loader)
{
	struct loader_counts *c, fresh = {};

	c = bpf_map_lookup_elem(&loaders, &loader);
	if (!c) {
		read_name(fresh.first, FIRST_LEN, name, len);
		/* BPF_NOEXIST: when another CPU added it meanwhile, this counts in its entry (with its first class) */
		bpf_map_update_elem(&loaders, &loader, &fresh, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&loaders, &loader);
		if (!c) {
			bpf4j_count_lost(); /* the map is full: this class is not counted */
			return 0;
		}
	}
	__sync_fetch_and_add(type == load ? &c->loaded : &c->unloaded, 1);
	return 0;
}

static __always_inline int emit(enum class_event type, const void *name, long len, __u64 loader, __u64 shared)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct event *e;

	if (!bpf4j_pass_pid(id))
		return 0;
	if (targ_count)
		return count(type, name, len, loader);
	e = bpf4j_reserve(&events, sizeof(*e));
	if (!e)
		return 0;
	e->ts = bpf_ktime_get_ns();
	e->cpu = bpf_get_smp_processor_id();
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->shared = shared != 0;
	e->loader = loader;
	e->type = type;
	read_name(e->name, CLASS_LEN, name, len);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("usdt")
int BPF_USDT(javaclassload_loaded, void *name, long len, __u64 loader, __u64 shared)
{
	return emit(load, name, len, loader, shared);
}

SEC("usdt")
int BPF_USDT(javaclassload_unloaded, void *name, long len, __u64 loader, __u64 shared)
{
	return emit(unload, name, len, loader, shared);
}
