/* javaobjnew: the objects a HotSpot JVM allocates, counted per class with their total size, from its USDT probe
 * hotspot:object__alloc(java thread id, class name, name length, size in bytes), which the JVM reaches only when it
 * was started with -XX:+DTraceAllocProbes (-XX:+ExtendedDTraceProbes before JDK 25). The class name is not
 * NUL-terminated: its length is the probe's third argument. Names longer than the key are cut (and end the same). */
#include "bpf4j_tools.h"
#include <bpf/usdt.bpf.h>

#define CLASS_LEN 128

BPF4J_FILTERS

struct class_key {
	char name[CLASS_LEN];
};

struct counts {
	__u64 allocs;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct class_key);
	__type(value, struct counts);
} allocs SEC(".maps");

SEC("usdt")
int BPF_USDT(javaobjnew_alloc, long jtid, void *name, int len, __u64 size)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct class_key k = {};
	struct counts *c, zero = {};
	__u32 n;

	if (!bpf4j_pass_pid(id))
		return 0;
	n = len < 0 ? 0 : len;
	if (n > CLASS_LEN - 1)
		n = CLASS_LEN - 1;
	bpf_probe_read_user(k.name, n, name);
	c = bpf_map_lookup_elem(&allocs, &k);
	if (!c) {
		/* BPF_NOEXIST: when another CPU added it meanwhile, this counts in its entry */
		bpf_map_update_elem(&allocs, &k, &zero, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&allocs, &k);
		if (!c) {
			bpf4j_count_lost(); /* the map is full: this allocation is not counted */
			return 0;
		}
	}
	__sync_fetch_and_add(&c->allocs, 1);
	__sync_fetch_and_add(&c->bytes, size);
	return 0;
}
