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

#endif
