// CO-RE relocation records of several kinds, for the .BTF.ext parser (parsed only, never loaded).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_like {
    int pid;
    long state;
    struct { int inner; } nested;
} __attribute__((preserve_access_index));

enum mode_like { MODE_A = 1, MODE_B = 2 };

SEC("raw_tp/sys_enter")
int core_probe(struct task_like *t)
{
    long r = 0;
    if (bpf_core_field_exists(t->state))
        r += bpf_core_field_size(t->state);
    r += BPF_CORE_READ(t, nested.inner);
    r += bpf_core_type_size(struct task_like);
    if (bpf_core_enum_value_exists(enum mode_like, MODE_B))
        r += bpf_core_enum_value(enum mode_like, MODE_B);
    return r;
}

char LICENSE[] SEC("license") = "GPL";
