// One program for each kernel-function hook, none autoloaded: KernelHooksTest loads and attaches each on its own,
// where the kernel offers the hook. Each one counts what one thread (target_tid) does, so counts are exact:
// mkdirat calls seen on entry and exit of do_mkdirat (kprobe, kretprobe, kprobe_multi, fentry, fexit, with the return value), and
// file_open of one inode (deny_ino) refused with EPERM by the LSM program. The kernel types are declared with
// preserve_access_index: their field offsets are relocated against the running kernel's BTF (CO-RE).
#define __TARGET_ARCH_x86
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define EPERM 1

struct inode {
    unsigned long i_ino;
} __attribute__((preserve_access_index));

struct file {
    struct inode *f_inode;
} __attribute__((preserve_access_index));

struct filename;

const volatile __u32 target_tid;
const volatile __u64 deny_ino;

__u64 kprobe_hits, kretprobe_hits, kprobe_multi_hits, fentry_hits, fexit_hits, lsm_denials;
long kretprobe_ret, fexit_ret;

static __always_inline int mine(void)
{
    return (__u32)bpf_get_current_pid_tgid() == target_tid;
}

SEC("?kprobe")
int on_kprobe(struct pt_regs *ctx)
{
    if (mine())
        __sync_fetch_and_add(&kprobe_hits, 1);
    return 0;
}

SEC("?kretprobe")
int on_kretprobe(struct pt_regs *ctx)
{
    if (mine()) {
        __sync_fetch_and_add(&kretprobe_hits, 1);
        kretprobe_ret = (int)PT_REGS_RC(ctx);
    }
    return 0;
}

SEC("?kprobe.multi")
int on_kprobe_multi(struct pt_regs *ctx)
{
    if (mine())
        __sync_fetch_and_add(&kprobe_multi_hits, 1);
    return 0;
}

SEC("?fentry/do_mkdirat")
int BPF_PROG(on_fentry, int dfd, struct filename *name, unsigned short mode)
{
    if (mine())
        __sync_fetch_and_add(&fentry_hits, 1);
    return 0;
}

SEC("?fexit/do_mkdirat")
int BPF_PROG(on_fexit, int dfd, struct filename *name, unsigned short mode, int ret)
{
    if (mine()) {
        __sync_fetch_and_add(&fexit_hits, 1);
        fexit_ret = ret;
    }
    return 0;
}

SEC("?lsm/file_open")
int BPF_PROG(deny_open, struct file *file, int ret)
{
    if (ret != 0)
        return ret; // an earlier LSM refused already
    if (mine() && file->f_inode->i_ino == deny_ino) {
        __sync_fetch_and_add(&lsm_denials, 1);
        return -EPERM;
    }
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
