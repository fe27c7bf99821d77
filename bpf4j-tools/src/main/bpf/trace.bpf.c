/* trace (and argdist): one generic capture program per probe kind, configured per attachment. Each attachment's
 * BPF cookie indexes the probes map, which says how to read the probe's arguments (registers, memory at a
 * register plus offset, constants: enough for uprobes, uretprobes and USDT arguments) and which of them, or
 * which pointer fields of a tracepoint record, to copy as strings. Tracepoints ship their raw record; the Java
 * side decodes it with the tracepoint's format and does all formatting and filtering. */
#include "bpf4j_tools.h"

BPF4J_FILTERS

#define MAX_PROBES 64
#define NARGS 7 /* arg1..arg6, then the return value */
#define NSTR 3
#define STR_LEN 128
#define TP_MAX 2048

enum arg_kind { ARG_NONE, ARG_REG, ARG_DEREF, ARG_CONST };

struct arg_spec {
	__u32 kind;
	__u32 reg_off; /* offset of the register in struct pt_regs */
	__s64 off;     /* ARG_DEREF: added to the register; ARG_CONST: the value */
	__u32 size;    /* ARG_DEREF: bytes to read, 1..8 */
	__u32 pad;
};

struct probe_cfg {
	struct arg_spec args[NARGS];
	/* Strings to copy: 0 none, n > 0 the pointer at tracepoint-record offset n-1, n < 0 the pointer args[-n-1] */
	__s32 str_src[NSTR];
	__u32 tp_size; /* tracepoint-record bytes to ship */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_PROBES);
	__type(key, __u32);
	__type(value, struct probe_cfg);
} probes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 1024);
} events SEC(".maps");

/* The record's fixed part. When strings or a tracepoint record are shipped, NSTR strings of STR_LEN bytes
 * follow, then `size` bytes of the tracepoint record. */
struct event {
	__u64 ts;
	__u32 cpu;
	__u32 pid;
	__u32 tid;
	__u32 probe;
	char comm[TASK_COMM_LEN];
	__u64 args[NARGS];
	__u32 size;
	__u32 nstr;
};
const struct event *unused_event;

struct buffer {
	struct event e;
	char str[NSTR][STR_LEN];
	__u8 data[TP_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct buffer);
} scratch SEC(".maps");

/* Reads user memory. The sleepable variant may fault pages in (a string in a page the process has not touched
 * yet); the other fails there. */
static __always_inline long read_user(void *dst, __u32 size, const void *src, bool sleepable)
{
	if (sleepable)
		return bpf_copy_from_user(dst, size, src);
	return bpf_probe_read_user(dst, size, src);
}

static __always_inline __u64 read_arg(struct pt_regs *regs, struct arg_spec *a, bool sleepable)
{
	__u64 v = 0, m = 0;
	__u32 size;

	switch (a->kind) {
	case ARG_CONST:
		return a->off;
	case ARG_REG:
	case ARG_DEREF:
		bpf_probe_read_kernel(&v, sizeof(v), (void *)regs + (a->reg_off & 0xff));
		if (a->kind == ARG_REG)
			return v;
		size = a->size;
		if (size > 8)
			size = 8;
		read_user(&m, size, (void *)(v + a->off), sleepable);
		return m;
	}
	return 0;
}

static __always_inline void fill_header(struct event *e, __u32 id, __u64 pid_tgid)
{
	e->ts = bpf_ktime_get_ns();
	e->cpu = bpf_get_smp_processor_id();
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->probe = id;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->size = 0;
	e->nstr = 0;
}

/* Tracepoints: the record's size varies per tracepoint, so the event is built in a per-CPU buffer (tracepoint
 * programs do not nest on a CPU) and copied to the ring buffer with its length. */
SEC("tracepoint")
int trace_tp(void *ctx)
{
	__u32 zero = 0, id = (__u32)bpf_get_attach_cookie(ctx);
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct probe_cfg *cfg;
	struct buffer *b;
	__u32 n, out;

	if (!bpf4j_pass_pid(pid_tgid))
		return 0;
	cfg = bpf_map_lookup_elem(&probes, &id);
	b = bpf_map_lookup_elem(&scratch, &zero);
	if (!cfg || !b)
		return 0;
	fill_header(&b->e, id, pid_tgid);
	for (int i = 0; i < NARGS; i++)
		b->e.args[i] = 0;
	n = cfg->tp_size;
	if (n > TP_MAX)
		n = TP_MAX;
	if (bpf_probe_read_kernel(b->data, n, ctx))
		n = 0;
	for (int i = 0; i < NSTR; i++) {
		__s32 src = cfg->str_src[i];
		__u64 ptr = 0;

		b->str[i][0] = 0;
		if (src <= 0)
			continue;
		b->e.nstr = NSTR;
		bpf_probe_read_kernel(&ptr, sizeof(ptr), ctx + ((src - 1) & (TP_MAX - 1)));
		/* user pointers (syscall arguments) first, then kernel ones */
		if (bpf_probe_read_user_str(b->str[i], STR_LEN, (void *)ptr) < 0)
			bpf_probe_read_kernel_str(b->str[i], STR_LEN, (void *)ptr);
	}
	b->e.size = n;
	out = sizeof(b->e) + sizeof(b->str) + n;
	if (out > sizeof(*b))
		return 0;
	bpf4j_output(&events, b, out);
	return 0;
}

/* Uprobes and USDT: a fixed-size event straight in the ring buffer (a sleepable program may be preempted, so no
 * per-CPU buffer), with the strings only when the probe asks for some. */
struct event_str {
	struct event e;
	char str[NSTR][STR_LEN];
};

static __always_inline int capture_uprobe(struct pt_regs *ctx, bool sleepable)
{
	__u32 id = (__u32)bpf_get_attach_cookie(ctx);
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct probe_cfg *cfg;
	struct event_str *es;
	struct event *e;

	if (!bpf4j_pass_pid(pid_tgid))
		return 0;
	cfg = bpf_map_lookup_elem(&probes, &id);
	if (!cfg)
		return 0;
	if (!cfg->str_src[0]) {
		e = bpf4j_reserve(&events, sizeof(*e));
		if (!e)
			return 0;
		fill_header(e, id, pid_tgid);
		for (int i = 0; i < NARGS; i++)
			e->args[i] = read_arg(ctx, &cfg->args[i], sleepable);
		bpf_ringbuf_submit(e, 0);
		return 0;
	}
	es = bpf4j_reserve(&events, sizeof(*es));
	if (!es)
		return 0;
	fill_header(&es->e, id, pid_tgid);
	es->e.nstr = NSTR;
	for (int i = 0; i < NARGS; i++)
		es->e.args[i] = read_arg(ctx, &cfg->args[i], sleepable);
	for (int i = 0; i < NSTR; i++) {
		__s32 src = cfg->str_src[i];
		const void *ptr = (const void *)es->e.args[(-src - 1) & 7];

		es->str[i][0] = 0;
		if (src >= 0)
			continue;
		/* a whole STR_LEN copy faults the string's pages in, but fails when it runs into unmapped memory;
		 * then the pages up to there are in, and a copy up to the NUL works */
		if (!sleepable || read_user(es->str[i], STR_LEN, ptr, true))
			bpf_probe_read_user_str(es->str[i], STR_LEN, ptr);
		es->str[i][STR_LEN - 1] = 0;
	}
	bpf_ringbuf_submit(es, 0);
	return 0;
}

SEC("uprobe.s")
int trace_uprobe_s(struct pt_regs *ctx)
{
	return capture_uprobe(ctx, true);
}

SEC("uprobe")
int trace_uprobe(struct pt_regs *ctx)
{
	return capture_uprobe(ctx, false);
}
