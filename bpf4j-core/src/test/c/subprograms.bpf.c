// Two programs sharing a static and a global subprogram in .text; the global one calls the static one
// (a transitive call), and two programs live in the same section.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __attribute__((noinline)) int twice(int x)
{
    return x * 2;
}

__attribute__((noinline)) int add_twice(int a, int b)
{
    return twice(a) + b;
}

static __attribute__((noinline)) int minus_one(int x)
{
    return x - 1;
}

SEC("socket")
int sock_a(struct __sk_buff *skb)
{
    return add_twice(skb->len, 1) + twice(3);
}

SEC("socket")
int sock_b(struct __sk_buff *skb)
{
    return minus_one(skb->len) + add_twice(1, 2);
}

SEC("tc")
int tc_plain(struct __sk_buff *skb)
{
    return twice(0);
}

char LICENSE[] SEC("license") = "GPL";
