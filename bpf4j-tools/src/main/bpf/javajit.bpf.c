/* javajit: the methods a HotSpot JVM's JIT compilers compile, from its USDT probes hotspot:method__compile__begin
 * (compiler name, class name, method name, signature: each a pointer and a length, not NUL-terminated) and
 * hotspot:method__compile__end (the same, then whether it succeeded), which the JVM fires without any flag, on the
 * compiler thread, around each compilation (OSR ones included). A compiler thread compiles one method at a time, so
 * the start is kept per thread. One event per compilation, with its time; or (targ_hist) a power-of-two histogram
 * of the compile times per compiler. */
#include "bpf4j_tools.h"
#include <bpf/usdt.bpf.h>

#define COMPILER_LEN 8
#define CLASS_LEN 256
#define METHOD_LEN 128
#define SIG_LEN 256

BPF4J_FILTERS
const volatile bool targ_hist = false;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} starts SEC(".maps");

struct hist_key {
	char compiler[COMPILER_LEN];
};

struct hist {
	__u32 slots[MAX_SLOTS];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, struct hist_key);
	__type(value, struct hist);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 1024);
} events SEC(".maps");

struct event {
	__u64 ts; /* the compilation's end */
	__u32 cpu;
	__u32 pid;
	__u32 tid; /* the compiler thread */
	__u32 success;
	__u64 compile_ns;
	char compiler[COMPILER_LEN];
	char class_name[CLASS_LEN];
	char method[METHOD_LEN];
	char signature[SIG_LEN];
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

SEC("usdt")
int BPF_USDT(javajit_begin)
{
	__u64 id = bpf_get_current_pid_tgid(), ts = bpf_ktime_get_ns();
	__u32 tid = (__u32)id;

	if (!bpf4j_pass_pid(id))
		return 0;
	bpf_map_update_elem(&starts, &tid, &ts, BPF_ANY);
	return 0;
}

SEC("usdt")
int BPF_USDT(javajit_end, void *compiler, long compiler_len, void *class_name, long class_len, void *method,
	     long method_len, void *sig, long sig_len, __u64 success)
{
	__u64 id = bpf_get_current_pid_tgid(), now = bpf_ktime_get_ns(), delta, *start;
	__u32 tid = (__u32)id;
	struct hist_key key = {};
	struct hist *h, zero = {};
	struct event *e;

	start = bpf_map_lookup_elem(&starts, &tid);
	if (!start)
		return 0; /* the compilation began before the tool attached */
	delta = now - *start;
	bpf_map_delete_elem(&starts, &tid);
	if (targ_hist) {
		read_name(key.compiler, COMPILER_LEN, compiler, compiler_len);
		h = bpf_map_lookup_elem(&hists, &key);
		if (!h) {
			bpf_map_update_elem(&hists, &key, &zero, BPF_NOEXIST);
			h = bpf_map_lookup_elem(&hists, &key);
			if (!h)
				return 0;
		}
		__sync_fetch_and_add(&h->slots[bpf4j_slot(delta / 1000)], 1);
		return 0;
	}
	e = bpf4j_reserve(&events, sizeof(*e));
	if (!e)
		return 0;
	e->ts = now;
	e->cpu = bpf_get_smp_processor_id();
	e->pid = id >> 32;
	e->tid = tid;
	e->success = success != 0;
	e->compile_ns = delta;
	read_name(e->compiler, COMPILER_LEN, compiler, compiler_len);
	read_name(e->class_name, CLASS_LEN, class_name, class_len);
	read_name(e->method, METHOD_LEN, method, method_len);
	read_name(e->signature, SIG_LEN, sig, sig_len);
	bpf_ringbuf_submit(e, 0);
	return 0;
}
