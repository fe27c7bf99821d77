/* memleak: allocations not freed yet, with the stack that made them. User mode (-p): uprobes on the allocator's
 * functions (libc's malloc, calloc, realloc, free, posix_memalign, aligned_alloc/memalign, valloc, pvalloc, mmap,
 * munmap): the size is kept per thread at entry, and at return the address is recorded in allocs with the size,
 * the time and the user stack; free deletes it. Kernel mode: the kmem tracepoints (kmalloc, kfree,
 * kmem_cache_alloc/free, mm_page_alloc/free) as typed raw tracepoints, with kernel stacks. The Java side sums
 * allocs by stack. */
#include "bpf4j_tools.h"

#define PERF_MAX_STACK_DEPTH 127
#define PAGE_SIZE 4096

BPF4J_FILTERS
BPF4J_QUIET
const volatile __u64 min_size = 0;
const volatile __u64 max_size = (__u64)-1;

struct alloc_info {
	__u64 size;
	__u64 ts;		/* bpf_ktime_get_ns() at the allocation: -o compares it with the time of the report */
	__s32 stack_id;		/* in stack_traces; negative: bpf_get_stackid's error */
};
const struct alloc_info *unused_alloc_info;

/* thread -> size asked for, from the allocator's entry to its return */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} sizes SEC(".maps");

/* thread -> posix_memalign's memptr, where the address is at return */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} memptrs SEC(".maps");

/* address -> outstanding allocation. Preallocated: the elements of a map that is not are kmalloc'ed as it fills,
 * which kernel mode would trace as allocations, whose elements would be allocated in turn, without end. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1000000);
	__type(key, __u64);
	__type(value, struct alloc_info);
} allocs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, PERF_MAX_STACK_DEPTH * sizeof(__u64));
	__uint(max_entries, 10240);
} stack_traces SEC(".maps");

/* Allocations not tracked because allocs was full (its own counter: these are not lost events). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} untracked SEC(".maps");

static __always_inline bool size_passes(__u64 size)
{
	return size >= min_size && size <= max_size;
}

static __always_inline void record(void *ctx, __u64 addr, __u64 size, __u64 stack_flags)
{
	struct alloc_info info = {
		.size = size,
		.ts = bpf_ktime_get_ns(),
		.stack_id = bpf_get_stackid(ctx, &stack_traces, stack_flags),
	};

	if (bpf_map_update_elem(&allocs, &addr, &info, BPF_ANY)) {
		__u32 zero = 0;
		__u64 *n = bpf_map_lookup_elem(&untracked, &zero);
		if (n)
			(*n)++;
	}
}

/* --- user mode ------------------------------------------------------------------------------------------------ */

static __always_inline int alloc_enter(__u64 size)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;

	if (!bpf4j_pass_pid(id) || !size_passes(size))
		return 0;
	bpf_map_update_elem(&sizes, &tid, &size, BPF_ANY);
	return 0;
}

/* At the allocator's return, the user stack starts in its caller. */
static __always_inline int alloc_exit(void *ctx, __u64 addr)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *size = bpf_map_lookup_elem(&sizes, &tid);
	__u64 s;

	if (!size)
		return 0; /* filtered out at entry, or the entry ran before the tool attached */
	s = *size;
	bpf_map_delete_elem(&sizes, &tid);
	if (addr && addr != (__u64)-1) /* -1: mmap's MAP_FAILED */
		record(ctx, addr, s, BPF_F_USER_STACK);
	return 0;
}

static __always_inline int free_enter(__u64 addr)
{
	if (!bpf4j_pass_pid(bpf_get_current_pid_tgid()))
		return 0;
	bpf_map_delete_elem(&allocs, &addr);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(memleak_malloc_enter, size_t size)
{
	return alloc_enter(size);
}

/* malloc, calloc, realloc, aligned_alloc/memalign, valloc, pvalloc, mmap: the address is the return value */
SEC("uretprobe")
int BPF_KRETPROBE(memleak_alloc_exit, void *addr)
{
	return alloc_exit(ctx, (__u64)addr);
}

SEC("uprobe")
int BPF_KPROBE(memleak_calloc_enter, size_t nmemb, size_t size)
{
	return alloc_enter((__u64)nmemb * size);
}

/* realloc frees ptr and allocates size (when it grows in place, the same address comes back) */
SEC("uprobe")
int BPF_KPROBE(memleak_realloc_enter, void *ptr, size_t size)
{
	free_enter((__u64)ptr);
	return alloc_enter(size);
}

SEC("uprobe")
int BPF_KPROBE(memleak_free_enter, void *ptr)
{
	return free_enter((__u64)ptr);
}

SEC("uprobe")
int BPF_KPROBE(memleak_posix_memalign_enter, void **memptr, size_t alignment, size_t size)
{
	__u64 p = (__u64)memptr;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	bpf_map_update_elem(&memptrs, &tid, &p, BPF_ANY);
	return alloc_enter(size);
}

SEC("uretprobe")
int BPF_KRETPROBE(memleak_posix_memalign_exit, int ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *memptr = bpf_map_lookup_elem(&memptrs, &tid);
	__u64 addr = 0;

	if (!memptr)
		return 0;
	if (ret == 0)
		bpf_probe_read_user(&addr, sizeof(addr), (void *)*memptr);
	bpf_map_delete_elem(&memptrs, &tid);
	return alloc_exit(ctx, addr);
}

/* aligned_alloc and memalign (one function in glibc) */
SEC("uprobe")
int BPF_KPROBE(memleak_aligned_alloc_enter, size_t alignment, size_t size)
{
	return alloc_enter(size);
}

/* valloc, pvalloc */
SEC("uprobe")
int BPF_KPROBE(memleak_valloc_enter, size_t size)
{
	return alloc_enter(size);
}

SEC("uprobe")
int BPF_KPROBE(memleak_mmap_enter, void *addr, size_t length)
{
	return alloc_enter(length);
}

SEC("uprobe")
int BPF_KPROBE(memleak_munmap_enter, void *addr)
{
	return free_enter((__u64)addr);
}

/* --- kernel mode ---------------------------------------------------------------------------------------------- */

static __always_inline void kernel_alloc(void *ctx, const void *ptr, __u64 size)
{
	if (ptr && size_passes(size) && !bpf4j_quiet(bpf_get_current_pid_tgid()))
		record(ctx, (__u64)ptr, size, 0);
}

/* Sizes as allocated (the slot), not as requested. */
SEC("tp_btf/kmalloc")
int BPF_PROG(memleak_kmalloc, unsigned long call_site, const void *ptr, size_t bytes_req, size_t bytes_alloc,
	     gfp_t gfp_flags, int node)
{
	kernel_alloc(ctx, ptr, bytes_alloc);
	return 0;
}

SEC("tp_btf/kmem_cache_alloc")
int BPF_PROG(memleak_cache_alloc, unsigned long call_site, const void *ptr, struct kmem_cache *s,
	     gfp_t gfp_flags, int node)
{
	kernel_alloc(ctx, ptr, BPF_CORE_READ(s, size));
	return 0;
}

SEC("tp_btf/kfree")
int BPF_PROG(memleak_kfree, unsigned long call_site, const void *ptr)
{
	__u64 addr = (__u64)ptr;

	bpf_map_delete_elem(&allocs, &addr);
	return 0;
}

SEC("tp_btf/kmem_cache_free")
int BPF_PROG(memleak_cache_free, unsigned long call_site, const void *ptr, const struct kmem_cache *s)
{
	__u64 addr = (__u64)ptr;

	bpf_map_delete_elem(&allocs, &addr);
	return 0;
}

/* Pages are keyed by their struct page (in the vmemmap, apart from the slab objects' addresses). */
SEC("tp_btf/mm_page_alloc")
int BPF_PROG(memleak_page_alloc, struct page *page, unsigned int order, gfp_t gfp_flags, int migratetype)
{
	kernel_alloc(ctx, page, (__u64)PAGE_SIZE << order);
	return 0;
}

SEC("tp_btf/mm_page_free")
int BPF_PROG(memleak_page_free, struct page *page, unsigned int order)
{
	__u64 addr = (__u64)page;

	bpf_map_delete_elem(&allocs, &addr);
	return 0;
}
