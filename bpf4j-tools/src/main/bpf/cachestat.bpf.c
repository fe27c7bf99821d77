/* cachestat: page-cache accesses, insertions and dirtyings, counted per CPU and read by the Java side every
 * interval. bcc counts calls of mark_page_accessed, add_to_page_cache_lru and account_page_dirtied with kprobes;
 * without kprobes this counts, from BTF-typed tracepoints:
 *  - accesses: pages a read asks the page cache for (mm_filemap_get_pages, once per page even though a large
 *    read reports overlapping ranges as it proceeds) plus one per file page fault (mm_filemap_fault);
 *  - adds: pages inserted into the page cache (mm_filemap_add_to_page_cache, large folios by their size);
 *  - dirties: pages dirtied (writeback_dirty_folio, which the kernel emits where it accounts a dirtied folio). */
#include "bpf4j_tools.h"

enum { ACCESSES, ADDS, DIRTIES, NR_COUNTS };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NR_COUNTS);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

/* The last range each thread's read asked for: a read larger than one folio batch reports the rest of its range
 * again each time it comes back for more, and those pages must be counted once. */
struct read_range {
	struct address_space *mapping;
	__u64 first;
	__u64 last;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct read_range);
} reads SEC(".maps");

static __always_inline void add(__u32 which, __u64 n)
{
	__u64 *c = bpf_map_lookup_elem(&counts, &which);
	if (c)
		*c += n;
}

static __always_inline __u64 folio_pages(struct folio *folio)
{
	if (folio->flags.f & (1UL << PG_head))
		return folio->_nr_pages;
	return 1;
}

SEC("tp_btf/mm_filemap_get_pages")
int BPF_PROG(cachestat_get_pages, struct address_space *mapping, unsigned long index, unsigned long last)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct read_range *r = bpf_map_lookup_elem(&reads, &tid);

	if (r && r->mapping == mapping && index > r->first && index <= r->last) {
		/* the same read going on: only pages beyond what it already asked for are new */
		if (last > r->last) {
			add(ACCESSES, last - r->last);
			r->last = last;
		}
		return 0;
	}
	add(ACCESSES, last - index + 1);
	struct read_range n = { .mapping = mapping, .first = index, .last = last };
	bpf_map_update_elem(&reads, &tid, &n, BPF_ANY);
	return 0;
}

SEC("tp_btf/mm_filemap_fault")
int BPF_PROG(cachestat_fault, struct address_space *mapping, unsigned long index)
{
	add(ACCESSES, 1);
	return 0;
}

SEC("tp_btf/mm_filemap_add_to_page_cache")
int BPF_PROG(cachestat_add, struct folio *folio)
{
	add(ADDS, folio_pages(folio));
	return 0;
}

SEC("tp_btf/writeback_dirty_folio")
int BPF_PROG(cachestat_dirty, struct folio *folio, struct address_space *mapping)
{
	add(DIRTIES, folio_pages(folio));
	return 0;
}
