// kfunc calls and externs whose tags ConformanceTest can compare with libbpf's: unlike externs.bpf.c, the kfunc
// prototypes use a (minimal) full struct task_struct, not a forward declaration, which libbpf 1.1's prototype check
// would refuse. Also __kconfig values and a typeless __ksym, all resolved by the loader into the instructions.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct task_struct {
    int pid;
} __attribute__((preserve_access_index));

extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;
extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern int CONFIG_HZ __kconfig;
extern const void __x64_sys_bpf __ksym __weak;

__u64 acquired, version, hz, sys_bpf;

SEC("tp_btf/sched_switch")
int acquire_release(unsigned long long *ctx)
{
    struct task_struct *prev = (void *)ctx[1];
    struct task_struct *t;

    version = LINUX_KERNEL_VERSION;
    hz = CONFIG_HZ;
    sys_bpf = (__u64)&__x64_sys_bpf;
    t = bpf_task_acquire(prev);
    if (t) {
        acquired++;
        bpf_task_release(t);
    }
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
