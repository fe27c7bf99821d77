// Programs attached through kernel BTF ids: a tp_btf program that loads everywhere with BTF, and (not autoloaded)
// an fentry, an LSM hook, an iterator and a tp_btf whose tracepoint name is misspelled.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__u64 switches;

SEC("tp_btf/sched_switch")
int on_switch(unsigned long long *ctx)
{
    __sync_fetch_and_add(&switches, 1);
    return 0;
}

SEC("?fentry/do_unlinkat")
int on_unlink(unsigned long long *ctx)
{
    return 0;
}

SEC("?lsm/file_open")
int on_file_open(unsigned long long *ctx)
{
    return 0;
}

SEC("?iter/task")
int each_task(void *ctx)
{
    return 0;
}

SEC("?tp_btf/sched_swtich")
int misspelled(unsigned long long *ctx)
{
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
