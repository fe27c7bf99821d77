/* hardirqs: time spent in (or number of) hard interrupt handlers per IRQ action name, as totals or power-of-two
 * histograms, like libbpf-tools' hardirqs. Hooks tp_btf/irq_handler_entry and irq_handler_exit: they time each
 * handler action (a shared IRQ line has one per device), not the whole interrupt. */
#include "bpf4j_tools.h"

const volatile bool targ_dist = false;
const volatile bool targ_ns = false;
const volatile bool do_count = false;

#define IRQ_NAME_LEN 32

struct irq_key {
	char name[IRQ_NAME_LEN];
};

struct info {
	__u64 count; /* nanoseconds, microseconds or events, as the flags say */
	__u32 slots[MAX_SLOTS];
};
const struct info *unused_info;

/* when this CPU entered its current handler: handlers do not nest on a CPU */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct irq_key);
	__type(value, struct info);
} infos SEC(".maps");

static __always_inline struct info *info_of(struct irqaction *action)
{
	struct irq_key key = {};
	struct info zero = {}, *info;

	bpf_probe_read_kernel_str(key.name, sizeof(key.name), BPF_CORE_READ(action, name));
	info = bpf_map_lookup_elem(&infos, &key);
	if (info)
		return info;
	bpf_map_update_elem(&infos, &key, &zero, BPF_NOEXIST);
	info = bpf_map_lookup_elem(&infos, &key);
	if (!info)
		bpf4j_count_lost();
	return info;
}

SEC("tp_btf/irq_handler_entry")
int BPF_PROG(hardirq_entry, int irq, struct irqaction *action)
{
	__u32 zero = 0;
	__u64 *ts;

	if (do_count) {
		struct info *info = info_of(action);
		if (info)
			__sync_fetch_and_add(&info->count, 1);
		return 0;
	}
	ts = bpf_map_lookup_elem(&start, &zero);
	if (ts)
		*ts = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/irq_handler_exit")
int BPF_PROG(hardirq_exit, int irq, struct irqaction *action, int ret)
{
	__u32 zero = 0;
	__u64 *ts, delta;
	struct info *info;

	if (do_count)
		return 0;
	ts = bpf_map_lookup_elem(&start, &zero);
	if (!ts || !*ts) /* entered before we attached */
		return 0;
	delta = bpf_ktime_get_ns() - *ts;
	*ts = 0;
	if (!targ_ns)
		delta /= 1000;
	info = info_of(action);
	if (!info)
		return 0;
	if (targ_dist)
		__sync_fetch_and_add(&info->slots[bpf4j_slot(delta)], 1);
	else
		__sync_fetch_and_add(&info->count, delta);
	return 0;
}
