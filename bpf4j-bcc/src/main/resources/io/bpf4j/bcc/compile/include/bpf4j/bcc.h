/* bpf4j's bcc dialect: the declarations bcc programs expect (map macros, helpers, register access, constants the
 * kernel's BTF does not carry), over the vmlinux.h bpf4j writes from the running kernel's BTF. Written for bpf4j
 * from bcc's reference guide; BccRewriter turns the method calls (counts.lookup(&k)) into the macros below. */
#ifndef __BPF4J_BCC_H__
#define __BPF4J_BCC_H__

#include "vmlinux.h"

#define SEC(name) __attribute__((section(name), used))
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#define __user
#define __kernel
#define __force
#define __rcu
#define __percpu
#define __iomem

#include "bpf4j/helper_defs.h"

/* bcc programs carry no license declaration: bcc passes GPL when loading. */
char __bpf4j_license[] SEC("license") = "GPL";

#ifndef NULL
#define NULL ((void *)0)
#endif
#ifndef offsetof
#define offsetof(type, member) __builtin_offsetof(type, member)
#endif
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define barrier() asm volatile("" ::: "memory")
#define READ_ONCE(x) (*(volatile typeof(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile typeof(x) *)&(x) = (v))
#define lock_xadd(ptr, val) ((void)__sync_fetch_and_add(ptr, val))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define min(a, b) ((a) < (b) ? (a) : (b))
#define max(a, b) ((a) > (b) ? (a) : (b))
#define min_t(type, a, b) ((type)(a) < (type)(b) ? (type)(a) : (type)(b))
#define max_t(type, a, b) ((type)(a) > (type)(b) ? (type)(a) : (type)(b))
#define KERNEL_VERSION(a, b, c) (((a) << 16) + ((b) << 8) + ((c) > 255 ? 255 : (c)))

/* The member shorthands kernel headers define for struct sock and struct inet_sock (macros, so not in BTF). */
#define sk_node __sk_common.skc_node
#define sk_refcnt __sk_common.skc_refcnt
#define sk_hash __sk_common.skc_hash
#define sk_portpair __sk_common.skc_portpair
#define sk_num __sk_common.skc_num
#define sk_dport __sk_common.skc_dport
#define sk_addrpair __sk_common.skc_addrpair
#define sk_daddr __sk_common.skc_daddr
#define sk_rcv_saddr __sk_common.skc_rcv_saddr
#define sk_family __sk_common.skc_family
#define sk_state __sk_common.skc_state
#define sk_reuse __sk_common.skc_reuse
#define sk_reuseport __sk_common.skc_reuseport
#define sk_bound_dev_if __sk_common.skc_bound_dev_if
#define sk_prot __sk_common.skc_prot
#define sk_net __sk_common.skc_net
#define sk_v6_daddr __sk_common.skc_v6_daddr
#define sk_v6_rcv_saddr __sk_common.skc_v6_rcv_saddr
#define sk_cookie __sk_common.skc_cookie
#define sk_incoming_cpu __sk_common.skc_incoming_cpu
#define inet_daddr sk.__sk_common.skc_daddr
#define inet_rcv_saddr sk.__sk_common.skc_rcv_saddr
#define inet_dport sk.__sk_common.skc_dport
#define inet_num sk.__sk_common.skc_num
#define s6_addr in6_u.u6_addr8
#define s6_addr16 in6_u.u6_addr16
#define s6_addr32 in6_u.u6_addr32

/* Constants bcc programs take from kernel headers that BTF has no trace of (macros, not enums). Defined after
 * vmlinux.h: where the kernel has them as enum constants, these expand to the same values. */
#define TASK_COMM_LEN 16
#define NAME_MAX 255
#define PATH_MAX 4096
#define DNAME_INLINE_LEN 40
#define IFNAMSIZ 16
#define DISK_NAME_LEN 32
#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PERF_MAX_STACK_DEPTH 127
#define BPF_MAX_STACK_DEPTH 127
#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_USEC 1000ULL
#define USEC_PER_SEC 1000000ULL
#define MINORBITS 20
#define MINORMASK ((1U << MINORBITS) - 1)
#define MAJOR(dev) ((unsigned int)((dev) >> MINORBITS))
#define MINOR(dev) ((unsigned int)((dev) & MINORMASK))
#define MKDEV(ma, mi) (((ma) << MINORBITS) | (mi))
#define AF_UNSPEC 0
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define AF_NETLINK 16
#define AF_PACKET 17
#define PF_INET AF_INET
#define PF_INET6 AF_INET6
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define ETH_ALEN 6
#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806
#define ETH_P_8021Q 0x8100
#define ETH_P_IPV6 0x86DD
#define TASK_RUNNING 0x0000
#define TASK_INTERRUPTIBLE 0x0001
#define TASK_UNINTERRUPTIBLE 0x0002
#define __TASK_STOPPED 0x0004
#define __TASK_TRACED 0x0008
#define TASK_DEAD 0x0080
#define TASK_WAKEKILL 0x0100
#define TASK_NOLOAD 0x0400
#define TASK_KILLABLE (TASK_WAKEKILL | TASK_UNINTERRUPTIBLE)
#define PF_EXITING 0x00000004
#define PF_KTHREAD 0x00200000
#define CLONE_THREAD 0x00010000
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define S_IFLNK 0120000
#define S_IFREG 0100000
#define S_IFBLK 0060000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFIFO 0010000
#define S_ISREG(m) (((m) & S_IFMT) == S_IFREG)
#define S_ISDIR(m) (((m) & S_IFMT) == S_IFDIR)
#define S_ISCHR(m) (((m) & S_IFMT) == S_IFCHR)
#define S_ISBLK(m) (((m) & S_IFMT) == S_IFBLK)
#define S_ISFIFO(m) (((m) & S_IFMT) == S_IFIFO)
#define S_ISLNK(m) (((m) & S_IFMT) == S_IFLNK)
#define S_ISSOCK(m) (((m) & S_IFMT) == S_IFSOCK)
#define O_ACCMODE 00000003
#define O_RDONLY 00000000
#define O_WRONLY 00000001
#define O_RDWR 00000002
#define O_CREAT 00000100
#define O_EXCL 00000200
#define O_TRUNC 00001000
#define O_APPEND 00002000
#define O_NONBLOCK 00004000
#define O_DIRECTORY 00200000
#define O_CLOEXEC 02000000
#define FMODE_READ 0x1
#define FMODE_WRITE 0x2
#define FMODE_EXEC 0x20
#define FMODE_CREATED 0x100000
#define O_TMPFILE (020000000 | O_DIRECTORY)
#define SCM_RIGHTS 0x01
#define REQ_OP_BITS 8
#define REQ_OP_MASK ((1 << REQ_OP_BITS) - 1)
#define SIGKILL 9
#define SIGTERM 15
#define SIGUSR1 10
#define EPERM 1
#define ENOENT 2
#define EINTR 4
#define EAGAIN 11
#define ENOMEM 12
#define EACCES 13
#define EFAULT 14
#define EBUSY 16
#define EEXIST 17
#define EINVAL 22
#define ESRCH 3

#define ntohs(x) __builtin_bswap16(x)
#define htons(x) __builtin_bswap16(x)
#define ntohl(x) __builtin_bswap32(x)
#define htonl(x) __builtin_bswap32(x)
#define be16_to_cpu(x) __builtin_bswap16(x)
#define be32_to_cpu(x) __builtin_bswap32(x)
#define be64_to_cpu(x) __builtin_bswap64(x)
#define bpf_ntohs(x) __builtin_bswap16(x)
#define bpf_htons(x) __builtin_bswap16(x)
#define bpf_ntohl(x) __builtin_bswap32(x)
#define bpf_htonl(x) __builtin_bswap32(x)

/* Register access in kprobe/uprobe programs (struct pt_regs of the target architecture). */
#if defined(__TARGET_ARCH_x86)
#define PT_REGS_PARM1(x) ((x)->di)
#define PT_REGS_PARM2(x) ((x)->si)
#define PT_REGS_PARM3(x) ((x)->dx)
#define PT_REGS_PARM4(x) ((x)->cx)
#define PT_REGS_PARM5(x) ((x)->r8)
#define PT_REGS_PARM6(x) ((x)->r9)
#define PT_REGS_RET(x) ((x)->sp)
#define PT_REGS_FP(x) ((x)->bp)
#define PT_REGS_RC(x) ((x)->ax)
#define PT_REGS_SP(x) ((x)->sp)
#define PT_REGS_IP(x) ((x)->ip)
/* a syscall's arguments in the user registers its wrapper (__x64_sys_*) receives as its first argument */
#define __BPF4J_SYSCALL_PARM1(x) ((x)->di)
#define __BPF4J_SYSCALL_PARM2(x) ((x)->si)
#define __BPF4J_SYSCALL_PARM3(x) ((x)->dx)
#define __BPF4J_SYSCALL_PARM4(x) ((x)->r10)
#define __BPF4J_SYSCALL_PARM5(x) ((x)->r8)
#define __BPF4J_SYSCALL_PARM6(x) ((x)->r9)
#elif defined(__TARGET_ARCH_arm64)
#define PT_REGS_PARM1(x) (((struct user_pt_regs *)(x))->regs[0])
#define PT_REGS_PARM2(x) (((struct user_pt_regs *)(x))->regs[1])
#define PT_REGS_PARM3(x) (((struct user_pt_regs *)(x))->regs[2])
#define PT_REGS_PARM4(x) (((struct user_pt_regs *)(x))->regs[3])
#define PT_REGS_PARM5(x) (((struct user_pt_regs *)(x))->regs[4])
#define PT_REGS_PARM6(x) (((struct user_pt_regs *)(x))->regs[5])
#define PT_REGS_RET(x) (((struct user_pt_regs *)(x))->regs[30])
#define PT_REGS_FP(x) (((struct user_pt_regs *)(x))->regs[29])
#define PT_REGS_RC(x) (((struct user_pt_regs *)(x))->regs[0])
#define PT_REGS_SP(x) (((struct user_pt_regs *)(x))->sp)
#define PT_REGS_IP(x) (((struct user_pt_regs *)(x))->pc)
#define __BPF4J_SYSCALL_PARM1(x) PT_REGS_PARM1(x)
#define __BPF4J_SYSCALL_PARM2(x) PT_REGS_PARM2(x)
#define __BPF4J_SYSCALL_PARM3(x) PT_REGS_PARM3(x)
#define __BPF4J_SYSCALL_PARM4(x) PT_REGS_PARM4(x)
#define __BPF4J_SYSCALL_PARM5(x) PT_REGS_PARM5(x)
#define __BPF4J_SYSCALL_PARM6(x) PT_REGS_PARM6(x)
#endif

/* A syscall__ function's argument n. On a kprobe on the syscall wrapper, from the user registers the wrapper
 * gets as its first argument; when Bcc loads the function on the syscall's tracepoint instead (kernels without
 * kprobes), from the context, whose register reads Bcc moves to the tracepoint's arguments. Which one is decided
 * at load: Bcc replaces this 64-bit constant ("BPF4SYSC") by 0 in a program it loads on a tracepoint, and the verifier drops
 * the branch not taken. */
static __always_inline int __bpf4j_syscall_wrapped(void)
{
	unsigned long long v;
	asm volatile("%0 = 0x4250463453595343 ll" : "=r"(v));
	return v != 0;
}
#define __BPF4J_SYSCALL_ARG(ctx, n) (__bpf4j_syscall_wrapped() \
	? __bpf4j_kread(__BPF4J_SYSCALL_PARM##n((struct pt_regs *)PT_REGS_PARM1(ctx))) \
	: __BPF4J_SYSCALL_PARM##n(ctx))

/* BTF-defined maps, the form the loader reads from SEC(".maps"). */
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define __bpf4j_map(_type, _key, _leaf, _name, _size, _flags) \
	struct { __uint(type, _type); __uint(max_entries, _size); __type(key, _key); __type(value, _leaf); \
		__uint(map_flags, _flags); } _name SEC(".maps")
#define __bpf4j_keyless_map(_type, _leaf, _name, _size, _flags) \
	struct { __uint(type, _type); __uint(max_entries, _size); __type(value, _leaf); \
		__uint(map_flags, _flags); } _name SEC(".maps")

/* Default arguments: BPF_HASH(name), BPF_HASH(name, key), ... pick the macro by argument count. */
#define __BPF4J_NARG(...) __BPF4J_NARG_(__VA_ARGS__, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define __BPF4J_NARG_(_1, _2, _3, _4, _5, _6, _7, _8, N, ...) N
#define __BPF4J_CAT(a, b) __BPF4J_CAT_(a, b)
#define __BPF4J_CAT_(a, b) a##b
#define __BPF4J_BY_COUNT(name, ...) __BPF4J_CAT(name, __BPF4J_NARG(__VA_ARGS__))(__VA_ARGS__)

/* BPF_TABLE("hash", ...): the rewriter turns the type string into the map type constant. */
#define BPF_TABLE(_type, _key, _leaf, _name, _size) __bpf4j_map(_type, _key, _leaf, _name, _size, 0)
#define BPF_F_TABLE(_type, _key, _leaf, _name, _size, _flags) __bpf4j_map(_type, _key, _leaf, _name, _size, _flags)
#define BPF_TABLE_PINNED(_type, _key, _leaf, _name, _size, _pin) BPF_TABLE(_type, _key, _leaf, _name, _size)
#define BPF_TABLE_SHARED BPF_TABLE
#define BPF_TABLE_PUBLIC BPF_TABLE

#define BPF_HASH(...) __BPF4J_BY_COUNT(__BPF4J_HASH, __VA_ARGS__)
#define __BPF4J_HASH1(_name) __bpf4j_map(BPF_MAP_TYPE_HASH, u64, u64, _name, 10240, 0)
#define __BPF4J_HASH2(_name, _key) __bpf4j_map(BPF_MAP_TYPE_HASH, _key, u64, _name, 10240, 0)
#define __BPF4J_HASH3(_name, _key, _leaf) __bpf4j_map(BPF_MAP_TYPE_HASH, _key, _leaf, _name, 10240, 0)
#define __BPF4J_HASH4(_name, _key, _leaf, _size) __bpf4j_map(BPF_MAP_TYPE_HASH, _key, _leaf, _name, _size, 0)

#define BPF_PERCPU_HASH(...) __BPF4J_BY_COUNT(__BPF4J_PERCPU_HASH, __VA_ARGS__)
#define __BPF4J_PERCPU_HASH1(_name) __bpf4j_map(BPF_MAP_TYPE_PERCPU_HASH, u64, u64, _name, 10240, 0)
#define __BPF4J_PERCPU_HASH2(_name, _key) __bpf4j_map(BPF_MAP_TYPE_PERCPU_HASH, _key, u64, _name, 10240, 0)
#define __BPF4J_PERCPU_HASH3(_name, _key, _leaf) \
	__bpf4j_map(BPF_MAP_TYPE_PERCPU_HASH, _key, _leaf, _name, 10240, 0)
#define __BPF4J_PERCPU_HASH4(_name, _key, _leaf, _size) \
	__bpf4j_map(BPF_MAP_TYPE_PERCPU_HASH, _key, _leaf, _name, _size, 0)

#define BPF_LRU_HASH(...) __BPF4J_BY_COUNT(__BPF4J_LRU_HASH, __VA_ARGS__)
#define __BPF4J_LRU_HASH1(_name) __bpf4j_map(BPF_MAP_TYPE_LRU_HASH, u64, u64, _name, 10240, 0)
#define __BPF4J_LRU_HASH2(_name, _key) __bpf4j_map(BPF_MAP_TYPE_LRU_HASH, _key, u64, _name, 10240, 0)
#define __BPF4J_LRU_HASH3(_name, _key, _leaf) __bpf4j_map(BPF_MAP_TYPE_LRU_HASH, _key, _leaf, _name, 10240, 0)
#define __BPF4J_LRU_HASH4(_name, _key, _leaf, _size) \
	__bpf4j_map(BPF_MAP_TYPE_LRU_HASH, _key, _leaf, _name, _size, 0)

#define BPF_ARRAY(...) __BPF4J_BY_COUNT(__BPF4J_ARRAY, __VA_ARGS__)
#define __BPF4J_ARRAY1(_name) __bpf4j_map(BPF_MAP_TYPE_ARRAY, int, u64, _name, 10240, 0)
#define __BPF4J_ARRAY2(_name, _leaf) __bpf4j_map(BPF_MAP_TYPE_ARRAY, int, _leaf, _name, 10240, 0)
#define __BPF4J_ARRAY3(_name, _leaf, _size) __bpf4j_map(BPF_MAP_TYPE_ARRAY, int, _leaf, _name, _size, 0)

#define BPF_PERCPU_ARRAY(...) __BPF4J_BY_COUNT(__BPF4J_PERCPU_ARRAY, __VA_ARGS__)
#define __BPF4J_PERCPU_ARRAY1(_name) __bpf4j_map(BPF_MAP_TYPE_PERCPU_ARRAY, int, u64, _name, 10240, 0)
#define __BPF4J_PERCPU_ARRAY2(_name, _leaf) __bpf4j_map(BPF_MAP_TYPE_PERCPU_ARRAY, int, _leaf, _name, 10240, 0)
#define __BPF4J_PERCPU_ARRAY3(_name, _leaf, _size) \
	__bpf4j_map(BPF_MAP_TYPE_PERCPU_ARRAY, int, _leaf, _name, _size, 0)

/* A histogram indexed by an int is an array (every slot exists); any other key makes it a hash, as in bcc. */
#define __bpf4j_hist_type(_key) \
	(__builtin_types_compatible_p(_key, int) ? BPF_MAP_TYPE_ARRAY : BPF_MAP_TYPE_HASH)
#define BPF_HISTOGRAM(...) __BPF4J_BY_COUNT(__BPF4J_HISTOGRAM, __VA_ARGS__)
#define __BPF4J_HISTOGRAM1(_name) __bpf4j_map(BPF_MAP_TYPE_ARRAY, int, u64, _name, 64, 0)
#define __BPF4J_HISTOGRAM2(_name, _key) __bpf4j_map(__bpf4j_hist_type(_key), _key, u64, _name, 64, 0)
#define __BPF4J_HISTOGRAM3(_name, _key, _size) __bpf4j_map(__bpf4j_hist_type(_key), _key, u64, _name, _size, 0)

#define BPF_LPM_TRIE(...) __BPF4J_BY_COUNT(__BPF4J_LPM_TRIE, __VA_ARGS__)
#define __BPF4J_LPM_TRIE1(_name) __bpf4j_map(BPF_MAP_TYPE_LPM_TRIE, u64, u64, _name, 10240, BPF_F_NO_PREALLOC)
#define __BPF4J_LPM_TRIE2(_name, _key) \
	__bpf4j_map(BPF_MAP_TYPE_LPM_TRIE, _key, u64, _name, 10240, BPF_F_NO_PREALLOC)
#define __BPF4J_LPM_TRIE3(_name, _key, _leaf) \
	__bpf4j_map(BPF_MAP_TYPE_LPM_TRIE, _key, _leaf, _name, 10240, BPF_F_NO_PREALLOC)
#define __BPF4J_LPM_TRIE4(_name, _key, _leaf, _size) \
	__bpf4j_map(BPF_MAP_TYPE_LPM_TRIE, _key, _leaf, _name, _size, BPF_F_NO_PREALLOC)

/* max_entries 0: the loader sizes it to the number of CPUs, as libbpf does */
#define BPF_PERF_OUTPUT(_name) __bpf4j_map(BPF_MAP_TYPE_PERF_EVENT_ARRAY, int, u32, _name, 0, 0)
#define BPF_PERF_ARRAY(_name, _size) __bpf4j_map(BPF_MAP_TYPE_PERF_EVENT_ARRAY, int, u32, _name, _size, 0)
#define BPF_RINGBUF_OUTPUT(_name, _pages) \
	struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, (_pages) * 4096); } _name SEC(".maps")
#define BPF_STACK_TRACE(_name, _size) \
	__bpf4j_map(BPF_MAP_TYPE_STACK_TRACE, int, u64[PERF_MAX_STACK_DEPTH], _name, _size, 0)
#define BPF_PROG_ARRAY(_name, _size) __bpf4j_map(BPF_MAP_TYPE_PROG_ARRAY, u32, u32, _name, _size, 0)
#define BPF_DEVMAP(_name, _size) __bpf4j_map(BPF_MAP_TYPE_DEVMAP, int, int, _name, _size, 0)
#define BPF_CPUMAP(_name, _size) __bpf4j_map(BPF_MAP_TYPE_CPUMAP, u32, u32, _name, _size, 0)
#define BPF_XSKMAP(_name, _size) __bpf4j_map(BPF_MAP_TYPE_XSKMAP, int, int, _name, _size, 0)
#define BPF_CGROUP_ARRAY(_name, _size) __bpf4j_map(BPF_MAP_TYPE_CGROUP_ARRAY, int, u32, _name, _size, 0)
#define BPF_QUEUE(_name, _leaf, _size) __bpf4j_keyless_map(BPF_MAP_TYPE_QUEUE, _leaf, _name, _size, 0)
#define BPF_STACK(_name, _leaf, _size) __bpf4j_keyless_map(BPF_MAP_TYPE_STACK, _leaf, _name, _size, 0)
#define BPF_SK_STORAGE(_name, _leaf) \
	__bpf4j_map(BPF_MAP_TYPE_SK_STORAGE, int, _leaf, _name, 0, BPF_F_NO_PREALLOC)
#define BPF_INODE_STORAGE(_name, _leaf) \
	__bpf4j_map(BPF_MAP_TYPE_INODE_STORAGE, int, _leaf, _name, 0, BPF_F_NO_PREALLOC)
#define BPF_TASK_STORAGE(_name, _leaf) \
	__bpf4j_map(BPF_MAP_TYPE_TASK_STORAGE, int, _leaf, _name, 0, BPF_F_NO_PREALLOC)

/* The map methods: BccRewriter turns name.method(args) into __bpf4j_method(name, args). */
#define __bpf4j_lookup(m, k) ((typeof((m).value))bpf_map_lookup_elem(&(m), (k)))
#define __bpf4j_update(m, k, v) bpf_map_update_elem(&(m), (k), (v), BPF_ANY)
#define __bpf4j_insert(m, k, v) bpf_map_update_elem(&(m), (k), (v), BPF_NOEXIST)
#define __bpf4j_delete(m, k) bpf_map_delete_elem(&(m), (k))
#define __bpf4j_lookup_or_try_init(m, k, zero) ({ \
	typeof((m).value) ___v = bpf_map_lookup_elem(&(m), (k)); \
	if (!___v) { \
		bpf_map_update_elem(&(m), (k), (zero), BPF_NOEXIST); \
		___v = bpf_map_lookup_elem(&(m), (k)); \
	} \
	___v; })
/* lookup_or_init (bcc's older form) returns 0 from the program when the entry cannot be made, so the pointer it
 * gives is never NULL: programs written for it use it unchecked. */
#define __bpf4j_lookup_or_init(m, k, zero) ({ \
	typeof((m).value) ___v = __bpf4j_lookup_or_try_init(m, k, zero); \
	if (!___v) \
		return 0; \
	___v; })
/* increment(key[, n]): the key by value; a missing entry is created holding n (a racing creator wins). */
#define __bpf4j_increment(m, ...) __BPF4J_CAT(__bpf4j_increment, __BPF4J_NARG(__VA_ARGS__))(m, __VA_ARGS__)
#define __bpf4j_increment1(m, k) __bpf4j_increment2(m, k, 1)
#define __bpf4j_increment2(m, k, n) ({ \
	typeof(*(m).key) ___k = (k); \
	typeof((m).value) ___v = bpf_map_lookup_elem(&(m), &___k); \
	if (___v) { \
		__sync_fetch_and_add(___v, (n)); \
	} else { \
		typeof(*(m).value) ___n = (n); \
		bpf_map_update_elem(&(m), &___k, &___n, BPF_NOEXIST); \
	} })
#define __bpf4j_atomic_increment __bpf4j_increment
/* The type of what a program sends to map m, kept in the object's BTF as the type of an unused static pointer
 * (a variable clang keeps, unlike a local's type): Bcc decodes the map's records by it without being told the
 * struct's name, as bcc's b["events"].event(data) does. */
#define __bpf4j_event_type(m, data) \
	static typeof(*(data)) *__bpf4j_event_##m __attribute__((used))
#define __bpf4j_perf_submit(m, ctx, data, size) ({ \
	__bpf4j_event_type(m, data); \
	bpf_perf_event_output((ctx), &(m), BPF_F_CURRENT_CPU, (data), (size)); })
#define __bpf4j_perf_submit_skb(m, ctx, skb_len, data, size) \
	bpf_perf_event_output((ctx), &(m), (((__u64)(skb_len)) << 32) | BPF_F_CURRENT_CPU, (data), (size))
#define __bpf4j_perf_read(m, index) bpf_perf_event_read(&(m), (index))
#define __bpf4j_perf_counter_value(m, index, buf, size) bpf_perf_event_read_value(&(m), (index), (buf), (size))
#define __bpf4j_ringbuf_output(m, data, size, flags) ({ \
	__bpf4j_event_type(m, data); \
	bpf_ringbuf_output(&(m), (data), (size), (flags)); })
#define __bpf4j_ringbuf_reserve(m, size) bpf_ringbuf_reserve(&(m), (size), 0)
/* reserve returns void *: the record's type is that of the pointer submitted */
#define __bpf4j_ringbuf_submit(m, data, flags) ({ \
	__bpf4j_event_type(m, data); \
	bpf_ringbuf_submit((data), (flags)); })
#define __bpf4j_ringbuf_discard(m, data, flags) bpf_ringbuf_discard((data), (flags))
#define __bpf4j_ringbuf_query(m, flags) bpf_ringbuf_query(&(m), (flags))
#define __bpf4j_get_stackid(m, ctx, flags) bpf_get_stackid((ctx), &(m), (flags))
#define __bpf4j_call(m, ctx, index) bpf_tail_call((ctx), &(m), (index))
#define __bpf4j_push(m, value, flags) bpf_map_push_elem(&(m), (value), (flags))
#define __bpf4j_pop(m, value) bpf_map_pop_elem(&(m), (value))
#define __bpf4j_peek(m, value) bpf_map_peek_elem(&(m), (value))
#define __bpf4j_redirect_map(m, index, flags) bpf_redirect_map(&(m), (index), (flags))
#define __bpf4j_sk_storage_get(m, sk, value, flags) bpf_sk_storage_get(&(m), (sk), (value), (flags))
#define __bpf4j_sk_storage_delete(m, sk) bpf_sk_storage_delete(&(m), (sk))
#define __bpf4j_task_storage_get(m, task, value, flags) bpf_task_storage_get(&(m), (task), (value), (flags))
#define __bpf4j_task_storage_delete(m, task) bpf_task_storage_delete(&(m), (task))
#define __bpf4j_inode_storage_get(m, inode, value, flags) bpf_inode_storage_get(&(m), (inode), (value), (flags))
#define __bpf4j_inode_storage_delete(m, inode) bpf_inode_storage_delete(&(m), (inode))

/* bcc's bpf_trace_printk: a format literal and up to three arguments, its size computed here. */
#define bpf_trace_printk(fmt, ...) ({ \
	static const char ____fmt[] = fmt; \
	bpf_trace_printk(____fmt, sizeof(____fmt), ##__VA_ARGS__); })

/* A kernel pointer dereference the rewriter found (sk->__sk_common.skc_rcv_saddr): read with
 * bpf_probe_read_kernel at the CO-RE-relocated address. An array member is not read: its address is its value. */
#define __bpf4j_is_array(e) (!__builtin_types_compatible_p(typeof(e), typeof((0, (e)))))
#define __bpf4j_kread(e) __builtin_choose_expr(__bpf4j_is_array(e), (e), ({ \
	typeof(e) ___r; \
	bpf_probe_read_kernel((void *)&___r, sizeof(___r), (const void *)&(e)); \
	___r; }))

/* floor(log2(v)) + 1, and 1 for 0: the slot print_log2_hist reads. */
static __always_inline unsigned int bpf_log2(unsigned int v)
{
	unsigned int r = 0, shift;
	shift = (v > 0xFFFF) << 4; v >>= shift; r |= shift;
	shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
	shift = (v > 0xF) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

static __always_inline unsigned int bpf_log2l(unsigned long v)
{
	unsigned int hi = v >> 32;
	return hi ? bpf_log2(hi) + 32 + 1 : bpf_log2(v) + 1;
}

/* __data_loc fields of a tracepoint record: the low 16 bits are the data's offset in the record. */
#define TP_DATA_LOC_READ_CONST(dst, field, length) \
	bpf_probe_read_kernel((void *)(dst), (length), (char *)args + (args->field & 0xFFFF))
#define TP_DATA_LOC_READ(dst, field) \
	bpf_probe_read_kernel((void *)(dst), (args->field >> 16), (char *)args + (args->field & 0xFFFF))
#define TP_DATA_LOC_READ_STR(dst, field, length) \
	bpf_probe_read_kernel_str((void *)(dst), (length), (char *)args + (args->field & 0xFFFF))

#ifdef __BPF4J_USDT
/* USDT arguments: bcc generates code per probe site from the binary's notes; here the attaching side (bpf4j's
 * Usdt.attach, as for libbpf's usdt.bpf.h) writes each site's argument specs into __bpf_usdt_specs and gives the
 * link the spec's id as its BPF cookie, and bpf_usdt_readarg reads the argument the spec describes. */
struct __bpf4j_usdt_arg {
	__u64 val_off;		/* the constant, or the offset added to the register's value */
	__u32 type;		/* 0 constant, 1 register, 2 memory at register + val_off */
	__s16 reg_off;		/* the register's offset in struct pt_regs */
	__u8 is_signed;
	__s8 bitshift;		/* 64 - the argument's size in bits */
};
struct __bpf4j_usdt_spec {
	struct __bpf4j_usdt_arg args[12];
	__u64 cookie;
	__s16 arg_cnt;
};
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 256); __type(key, int);
	__type(value, struct __bpf4j_usdt_spec); } __bpf_usdt_specs SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 256); __type(key, long);
	__type(value, __u32); } __bpf_usdt_ip_to_spec_id SEC(".maps");

static __always_inline int __bpf4j_usdt_arg(struct pt_regs *ctx, __u64 n, __u64 *out)
{
	int id = bpf_get_attach_cookie(ctx);
	struct __bpf4j_usdt_spec *spec = bpf_map_lookup_elem(&__bpf_usdt_specs, &id);
	__u64 v = 0;
	if (!spec)
		return -ESRCH;
	if (n >= 12 || n >= spec->arg_cnt)
		return -ENOENT;
	struct __bpf4j_usdt_arg *a = &spec->args[n];
	if (a->type == 0) {
		v = a->val_off;
	} else {
		if (bpf_probe_read_kernel(&v, sizeof(v), (void *)ctx + a->reg_off))
			return -EFAULT;
		if (a->type == 2 && bpf_probe_read_user(&v, sizeof(v), (void *)v + a->val_off))
			return -EFAULT;
	}
	v <<= a->bitshift;
	v = a->is_signed ? (__u64)((__s64)v >> a->bitshift) : v >> a->bitshift;
	*out = v;
	return 0;
}

/* bcc's forms: the argument index counts from 1; _p reads len bytes at the pointer the argument holds */
#define bpf_usdt_readarg(index, ctx, dst) ({ \
	__u64 ___v = 0; \
	int ___e = __bpf4j_usdt_arg((struct pt_regs *)(ctx), (index) - 1, &___v); \
	*(dst) = (typeof(*(dst)))___v; \
	___e; })
#define bpf_usdt_readarg_p(index, ctx, buf, len) ({ \
	__u64 ___p = 0; \
	int ___e = __bpf4j_usdt_arg((struct pt_regs *)(ctx), (index) - 1, &___p); \
	___e ? ___e : bpf_probe_read_user((buf), (len), (void *)___p); })
#endif

/* Probes on BTF-typed kernel functions: the body sees the function's arguments by name. */
#define __BPF4J_ARGS1(a) (void *)ctx[0]
#define __BPF4J_ARGS2(a, b) __BPF4J_ARGS1(a), (void *)ctx[1]
#define __BPF4J_ARGS3(a, b, c) __BPF4J_ARGS2(a, b), (void *)ctx[2]
#define __BPF4J_ARGS4(a, b, c, d) __BPF4J_ARGS3(a, b, c), (void *)ctx[3]
#define __BPF4J_ARGS5(a, b, c, d, e) __BPF4J_ARGS4(a, b, c, d), (void *)ctx[4]
#define __BPF4J_ARGS6(a, b, c, d, e, f) __BPF4J_ARGS5(a, b, c, d, e), (void *)ctx[5]
#define __BPF4J_ARGS7(a, b, c, d, e, f, g) __BPF4J_ARGS6(a, b, c, d, e, f), (void *)ctx[6]
#define __BPF4J_ARGS(...) __BPF4J_CAT(__BPF4J_ARGS, __BPF4J_NARG(__VA_ARGS__))(__VA_ARGS__)
#define __BPF4J_BTF_PROG(_sec, _name, ...) \
	static __always_inline int ____##_name(unsigned long long *ctx, __VA_ARGS__); \
	SEC(_sec) int _name(unsigned long long *ctx) \
	{ \
		_Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wint-conversion\"") \
		return ____##_name(ctx, __BPF4J_ARGS(__VA_ARGS__)); \
		_Pragma("GCC diagnostic pop") \
	} \
	static __always_inline int ____##_name(unsigned long long *ctx, __VA_ARGS__)
#define KFUNC_PROBE(event, ...) __BPF4J_BTF_PROG("fentry/" #event, kfunc__##event, ##__VA_ARGS__)
#define KRETFUNC_PROBE(event, ...) __BPF4J_BTF_PROG("fexit/" #event, kretfunc__##event, ##__VA_ARGS__)
#define LSM_PROBE(hook, ...) __BPF4J_BTF_PROG("lsm/" #hook, lsm__##hook, ##__VA_ARGS__)

#endif /* __BPF4J_BCC_H__ */
