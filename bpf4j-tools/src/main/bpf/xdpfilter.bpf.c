/* xdpfilter: drops packets whose IPv4 or IPv6 source address is in a deny list of prefixes (LPM tries filled from
 * user space), and counts drops and passes per CPU. */
#include "bpf4j_tools.h"
#include <bpf/bpf_endian.h>

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8

/* Key layout of struct bpf_lpm_trie_key_u8 with a fixed-size address; the value counts the drops per prefix. */
struct key4 {
	__u32 prefixlen;
	__u8 addr[4];
};
struct key6 {
	__u32 prefixlen;
	__u8 addr[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct key4);
	__type(value, __u64);
} deny4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct key6);
	__type(value, __u64);
} deny6 SEC(".maps");

/* Index 0: packets dropped, 1: packets passed. Per CPU, so the fast path takes no shared cache line. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline int verdict(int action)
{
	__u32 idx = action == XDP_DROP ? 0 : 1;
	__u64 *n = bpf_map_lookup_elem(&counters, &idx);
	if (n)
		(*n)++;
	return action;
}

SEC("xdp")
int xdpfilter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	void *l3 = eth + 1;
	__u16 proto;
	__u64 *hits = NULL;

	if (l3 > data_end)
		return verdict(XDP_PASS);
	proto = eth->h_proto;
	/* one VLAN tag (802.1Q or 802.1ad) */
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		struct vlan_hdr *vh = l3;
		if ((void *)(vh + 1) > data_end)
			return verdict(XDP_PASS);
		proto = vh->h_vlan_encapsulated_proto;
		l3 = vh + 1;
	}
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l3;
		struct key4 k = {.prefixlen = 32};
		if ((void *)(ip + 1) > data_end)
			return verdict(XDP_PASS);
		__builtin_memcpy(k.addr, &ip->saddr, 4);
		hits = bpf_map_lookup_elem(&deny4, &k);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;
		struct key6 k = {.prefixlen = 128};
		if ((void *)(ip6 + 1) > data_end)
			return verdict(XDP_PASS);
		__builtin_memcpy(k.addr, &ip6->saddr, 16);
		hits = bpf_map_lookup_elem(&deny6, &k);
	}
	if (!hits)
		return verdict(XDP_PASS);
	__sync_fetch_and_add(hits, 1);
	return verdict(XDP_DROP);
}
