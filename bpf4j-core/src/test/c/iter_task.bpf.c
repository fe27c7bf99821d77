// A task iterator: one line "pid comm" per task, as `cat` on a pinned iterator would print.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct seq_file;
struct task_struct {
    int pid;
    char comm[16];
} __attribute__((preserve_access_index));
struct bpf_iter_meta {
    struct seq_file *seq;
} __attribute__((preserve_access_index));
struct bpf_iter__task {
    struct bpf_iter_meta *meta;
    struct task_struct *task;
} __attribute__((preserve_access_index));

SEC("iter/task")
int list_tasks(struct bpf_iter__task *ctx)
{
    struct task_struct *task = ctx->task;
    if (!task)
        return 0;
    BPF_SEQ_PRINTF(ctx->meta->seq, "%d %s\n", task->pid, task->comm);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
