/* biolatency: block I/O latency as power-of-two histograms, from issue (or insert, with -Q) to completion of each
 * request (tp_btf/block_rq_insert, block_rq_issue, block_rq_complete), as libbpf-tools' biolatency; per disk with
 * -D. */
#include "bpf4j_tools.h"

#define DISK_NAME_LEN 32

const volatile bool targ_per_disk = false;
const volatile bool targ_queued = false;
const volatile bool targ_ms = false;

/* When each request was inserted or issued. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u64);
	__type(value, __u64);
} start SEC(".maps");

struct hist_key {
	char disk[DISK_NAME_LEN];
};

struct hist {
	__u32 slots[MAX_SLOTS];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct hist_key);
	__type(value, struct hist);
} hists SEC(".maps");

static __always_inline void stamp(struct request *rq)
{
	__u64 key = (__u64)rq, now = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &key, &now, BPF_ANY);
}

SEC("tp_btf/block_rq_insert")
int BPF_PROG(biolatency_insert, struct request *rq)
{
	if (targ_queued)
		stamp(rq);
	return 0;
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(biolatency_issue, struct request *rq)
{
	__u64 key = (__u64)rq;
	/* with -Q the insert stamp stays; a request issued without being inserted is timed from here */
	if (!targ_queued || !bpf_map_lookup_elem(&start, &key))
		stamp(rq);
	return 0;
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(biolatency_complete, struct request *rq, blk_status_t error, unsigned int nr_bytes)
{
	static const struct hist zero;
	struct hist_key hkey = {};
	__u64 key = (__u64)rq, *ts, delta;
	struct hist *h;

	ts = bpf_map_lookup_elem(&start, &key);
	if (!ts)
		return 0;
	delta = (bpf_ktime_get_ns() - *ts) / (targ_ms ? 1000000 : 1000);
	bpf_map_delete_elem(&start, &key);
	if (targ_per_disk) {
		struct gendisk *disk = BPF_CORE_READ(rq, q, disk);
		if (disk)
			bpf_probe_read_kernel_str(hkey.disk, sizeof(hkey.disk), disk->disk_name);
	}
	h = bpf_map_lookup_elem(&hists, &hkey);
	if (!h) {
		bpf_map_update_elem(&hists, &hkey, &zero, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&hists, &hkey);
		if (!h)
			return 0;
	}
	__sync_fetch_and_add(&h->slots[bpf4j_slot(delta)], 1);
	return 0;
}
