// CO-RE relocations of every kind, against a vmlinux.h generated from the running kernel's BTF.
// Each result goes to out[] in .bss so the compiler keeps it. Compiled by CoreRelocatorTest with
// clang-19 -target bpf -O2 -g -I <dir of vmlinux.h>; loaded both by libbpf (harness/core_harness.c) and by bpf4j.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

/* a flavor: only the fields the program uses, at other offsets than the kernel's */
struct task_struct___mine {
    int tgid;
    int pid;
} __attribute__((preserve_access_index));

/* a field the kernel does not have */
struct task_struct___missing {
    int no_such_field;
} __attribute__((preserve_access_index));

/* a field declared wider than the kernel's (unsigned int flags): the load is narrowed */
struct task_struct___wide {
    unsigned long long flags;
} __attribute__((preserve_access_index));

/* a bitfield declared signed here, unsigned in the kernel */
struct task_struct___bits {
    int pad;
    int in_iowait: 1;
} __attribute__((preserve_access_index));

/* a type that exists in the kernel but does not match it (len is unsigned int there) */
struct sk_buff___nomatch {
    long len;
} __attribute__((preserve_access_index));

/* a type the kernel does not have */
struct no_such_type___x {
    int a;
} __attribute__((preserve_access_index));

enum bpf_func_id___x {
    BPF_FUNC_ringbuf_output___x = 1,
    BPF_FUNC_no_such_helper___x = 2,
};

__u64 out[40];

static __noinline int subprog(struct task_struct *task)
{
    /* a CO-RE relocation in .text: its record is in the .text list */
    out[30] = BPF_CORE_READ(task, tgid);
    out[31] = bpf_core_field_size(task->comm);
    return 0;
}

SEC("tracepoint/syscalls/sys_enter_getpid")
int core_all(struct trace_event_raw_sys_enter *ctx)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    struct task_struct *btf_task = bpf_get_current_task_btf();

    out[0] = ctx->id;                                                          /* LDX, byte_off */
    out[1] = BPF_CORE_READ(task, pid);                                         /* ALU, byte_off */
    out[2] = BPF_CORE_READ((struct task_struct___mine *)task, pid);            /* flavor */
    out[3] = bpf_core_field_size(task->comm);                                  /* byte_sz */
    out[4] = bpf_core_field_exists(task->pid);                                 /* field_exists = 1 */
    out[5] = bpf_core_field_exists(((struct task_struct___missing *)task)->no_such_field); /* = 0 */
    if (bpf_core_field_exists(((struct task_struct___missing *)task)->no_such_field))
        out[6] = BPF_CORE_READ((struct task_struct___missing *)task, no_such_field); /* poisoned, dead */
    out[7] = BPF_CORE_READ_BITFIELD_PROBED(task, sched_reset_on_fork);        /* byte_off/sz, lshift, rshift, signed */
    out[8] = BPF_CORE_READ_BITFIELD_PROBED((struct task_struct___bits *)task, in_iowait); /* signed 1 -> 0 */
    out[9] = __builtin_preserve_field_info(task->pid, BPF_FIELD_SIGNED);       /* signed = 1 */
    out[10] = bpf_core_type_id_local(struct task_struct);
    out[11] = bpf_core_type_id_kernel(struct task_struct);
    out[12] = bpf_core_type_exists(struct task_struct___mine);
    out[13] = bpf_core_type_exists(struct no_such_type___x);
    out[14] = bpf_core_type_size(struct task_struct___mine);
    out[15] = bpf_core_type_size(struct no_such_type___x);
    out[16] = bpf_core_type_matches(struct task_struct___mine);
    out[17] = bpf_core_type_matches(struct sk_buff___nomatch);
    out[18] = bpf_core_enum_value_exists(enum bpf_func_id___x, BPF_FUNC_ringbuf_output___x);
    out[19] = bpf_core_enum_value(enum bpf_func_id___x, BPF_FUNC_ringbuf_output___x);
    out[20] = bpf_core_enum_value_exists(enum bpf_func_id___x, BPF_FUNC_no_such_helper___x);
    if (bpf_core_enum_value_exists(enum bpf_func_id___x, BPF_FUNC_no_such_helper___x))
        out[21] = bpf_core_enum_value(enum bpf_func_id___x, BPF_FUNC_no_such_helper___x); /* poisoned, dead */
    out[22] = ((struct task_struct___wide *)btf_task)->flags;                 /* LDX DW -> W */
    out[23] = btf_task->pid;                                                   /* LDX on a BTF pointer */
    out[24] = bpf_core_type_id_kernel(struct task_struct___mine);
    out[25] = bpf_core_enum_value(enum bpf_map_type, BPF_MAP_TYPE_RINGBUF);
    out[26] = BPF_CORE_READ(task, mm, mmap_base);                              /* a chain */
    out[27] = BPF_CORE_READ(task, comm[3]);                                    /* an array element */
    subprog(task);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
