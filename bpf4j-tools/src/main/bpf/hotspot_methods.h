/* Shared by javacalls and javaflow: the method a HotSpot probe hotspot:method__entry / method__return names, and the
 * class and method-name prefix filters (-C, -M), applied in the kernel so that the calls of other classes cost only
 * the probe hit. The probes' arguments: java thread id, class name, its length, method name, its length, signature,
 * its length; the names are not NUL-terminated. The JVM reaches both probes only when started with
 * -XX:+DTraceMethodProbes (-XX:+ExtendedDTraceProbes before JDK 25), for interpreted and compiled (even inlined)
 * calls alike. */
#ifndef HOTSPOT_METHODS_H
#define HOTSPOT_METHODS_H

#define CLASS_LEN 128
#define METHOD_LEN 64

/* Prefixes the tool sets before load, the class's in the JVM's form (java/lang/); lengths 0: no filter. */
const volatile char targ_class[CLASS_LEN] = {};
const volatile __u32 targ_class_len = 0;
const volatile char targ_method[METHOD_LEN] = {};
const volatile __u32 targ_method_len = 0;

struct method_name {
	char clazz[CLASS_LEN];
	char method[METHOD_LEN];
};

/* Reads the class and method names into m (zeroed by the caller; names longer than the fields are cut) and says
 * whether they pass the filters. */
static __always_inline bool hotspot_method(struct method_name *m, const void *clazz, int clazz_len,
					   const void *method, int method_len)
{
	__u32 n = clazz_len < 0 ? 0 : clazz_len;

	if (n < targ_class_len || (__u32)(method_len < 0 ? 0 : method_len) < targ_method_len)
		return false;
	if (n > CLASS_LEN - 1)
		n = CLASS_LEN - 1;
	bpf_probe_read_user(m->clazz, n, clazz);
	for (int i = 0; i < CLASS_LEN; i++) {
		if (i >= targ_class_len)
			break;
		if (m->clazz[i] != targ_class[i])
			return false;
	}
	n = method_len < 0 ? 0 : method_len;
	if (n > METHOD_LEN - 1)
		n = METHOD_LEN - 1;
	bpf_probe_read_user(m->method, n, method);
	for (int i = 0; i < METHOD_LEN; i++) {
		if (i >= targ_method_len)
			break;
		if (m->method[i] != targ_method[i])
			return false;
	}
	return true;
}

/* The calls in progress of a thread, among those that passed the filters: what a return is matched with. A method
 * left by an exception fires no hotspot:method__return, so a return pops its own call and every call above it (those
 * the exception unwound). Calls nested deeper than MAX_DEPTH are only counted (over). */
#define MAX_DEPTH 64

struct call_stack {
	__u32 depth;
	__u32 over;
	__u64 id[MAX_DEPTH];
	__u64 entered[MAX_DEPTH];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct call_stack);
} call_stacks SEC(".maps");

/* Never written: what a thread's stack starts from (too large for the BPF stack). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct call_stack);
} empty_stack SEC(".maps");

/* A method's identity: HotSpot's names are interned Symbols, so the same class and method name have the same
 * addresses for the life of the JVM (overloads share one identity: they are told apart by order, innermost first). */
static __always_inline __u64 method_id(const void *clazz, const void *method)
{
	return (__u64)clazz * 31 + (__u64)method;
}

/* The current thread's call stack, made empty on its first call; NULL (counted as lost) when the map is full. */
static __always_inline struct call_stack *call_stack_of(__u32 tid)
{
	struct call_stack *s = bpf_map_lookup_elem(&call_stacks, &tid), *e;
	__u32 zero = 0;

	if (s)
		return s;
	e = bpf_map_lookup_elem(&empty_stack, &zero);
	if (!e)
		return NULL;
	bpf_map_update_elem(&call_stacks, &tid, e, BPF_NOEXIST);
	s = bpf_map_lookup_elem(&call_stacks, &tid);
	if (!s)
		bpf4j_count_lost();
	return s;
}

/* Pushes call id, entered at now: its depth (1 for the outermost). */
static __always_inline __u32 call_push(struct call_stack *s, __u64 id, __u64 now)
{
	__u32 d = s->depth;

	if (d >= MAX_DEPTH)
		return MAX_DEPTH + ++s->over;
	barrier_var(d); /* keeps the mask, which the verifier needs to bound the index */
	d &= MAX_DEPTH - 1;
	s->id[d] = id;
	s->entered[d] = now;
	s->depth = d + 1;
	return d + 1;
}

/* Pops call id and the calls above it: its depth, and in *entered its entry time (0 when beyond MAX_DEPTH); 0 when
 * it is not on the stack (it began before the tool attached). */
static __always_inline __u32 call_pop(struct call_stack *s, __u64 id, __u64 *entered)
{
	*entered = 0;
	if (s->over)
		return MAX_DEPTH + s->over--;
	for (int i = 0; i < MAX_DEPTH; i++) {
		__s32 d = (__s32)s->depth - 1 - i;

		if (d < 0)
			break;
		barrier_var(d);
		d &= MAX_DEPTH - 1;
		if (s->id[d] == id) {
			*entered = s->entered[d];
			s->depth = d;
			return d + 1;
		}
	}
	return 0;
}

#endif
