// Externs a loader must resolve: __kconfig values (the kernel version, CONFIG_ options of every kind, libbpf's
// LINUX_HAS_* features, weak missing ones), typed and typeless __ksym variables, and kfunc calls. The tp_btf
// program copies what it sees into globals so the test can read them back.
#include <linux/bpf.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>

extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern int CONFIG_HZ __kconfig;
extern bool CONFIG_BPF_SYSCALL __kconfig;
extern enum libbpf_tristate CONFIG_BPF_SYSCALL_TRI __kconfig __weak; /* not an option: weak, so 0 */
extern char CONFIG_LOCALVERSION[16] __kconfig __weak;
extern bool CONFIG_KPROBES __kconfig __weak;                           /* "is not set" here */
extern bool LINUX_HAS_BPF_COOKIE __kconfig;
extern unsigned long long CONFIG_BPF4J_NO_SUCH_OPTION __kconfig __weak;

extern const int bpf_prog_active __ksym;              /* typed, per-CPU */
extern const void __x64_sys_bpf __ksym __weak;        /* typeless: its address */
extern const void bpf4j_no_such_symbol __ksym __weak; /* missing and weak: 0 */

struct task_struct;
extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;
extern void bpf4j_no_such_kfunc(void) __ksym __weak;

__u64 kernel_version, hz, bpf_syscall, tristate, kprobes, cookie, missing, sys_bpf, no_symbol, active, acquired;
char localversion[16];

SEC("tp_btf/sched_switch")
int on_switch(unsigned long long *ctx)
{
    struct task_struct *prev = (struct task_struct *)ctx[1];
    struct task_struct *t;

    kernel_version = LINUX_KERNEL_VERSION;
    hz = CONFIG_HZ;
    bpf_syscall = CONFIG_BPF_SYSCALL;
    tristate = CONFIG_BPF_SYSCALL_TRI;
    kprobes = CONFIG_KPROBES;
    cookie = LINUX_HAS_BPF_COOKIE;
    missing = CONFIG_BPF4J_NO_SUCH_OPTION;
    __builtin_memcpy(localversion, CONFIG_LOCALVERSION, sizeof(localversion));
    sys_bpf = (__u64)&__x64_sys_bpf;
    no_symbol = (__u64)&bpf4j_no_such_symbol;
    if (&bpf4j_no_such_kfunc) /* bpf_ksym_exists() */
        bpf4j_no_such_kfunc();
    t = bpf_task_acquire(prev);
    if (t) {
        acquired++;
        bpf_task_release(t);
    }
    return 0;
}

/* Typed ksyms need the variable's address from kallsyms in the kernel too (CONFIG_KALLSYMS_ALL for data). */
SEC("?tp_btf/sched_switch")
int typed_ksym(unsigned long long *ctx)
{
    int *a = bpf_this_cpu_ptr(&bpf_prog_active);

    active = (__u64)*a + 1;
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
