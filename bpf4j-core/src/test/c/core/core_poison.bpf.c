// A CO-RE access to a field the kernel does not have, NOT guarded by bpf_core_field_exists(): the relocation is
// poisoned (call 0xbad2310) and the verifier rejects the program; bpf4j's error must name the C access.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_struct___missing {
    int no_such_field;
} __attribute__((preserve_access_index));

__u64 out[1];

SEC("tracepoint/syscalls/sys_enter_getpid")
int core_poison(void *ctx)
{
    struct task_struct___missing *task = (void *)bpf_get_current_task();
    out[0] = BPF_CORE_READ(task, no_such_field);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
