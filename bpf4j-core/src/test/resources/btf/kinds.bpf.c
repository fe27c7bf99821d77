/* Exercises every BTF kind clang emits, for io.bpf4j.core.btf tests.
 * Build: clang-19 -I/usr/include/x86_64-linux-gnu -g -O2 -target bpf -c kinds.bpf.c -o kinds.bpf.o */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define __tag(x) __attribute__((btf_decl_tag(x)))
#define __ttag(x) __attribute__((btf_type_tag(x)))

typedef unsigned long long u64_t;
enum color { RED, GREEN = 5, BLUE = -3 };
enum big { SMALL = 1, HUGE = 0xffffffff00000000ULL };
struct node;
union value { int i; float f; double d; char c[8]; };
struct flags { unsigned int a : 3, b : 5; int c : 7; _Bool on; } __attribute__((packed));
typedef int (*callback_t)(struct node *, const char *, ...);
struct node {
	struct node *next;
	const volatile int *restrict cvp;
	int __ttag("user") *tagged;
	union value v;
	struct flags f;
	enum color col;
	enum big b;
	u64_t matrix[2][3];
	callback_t cb;
	struct { int x, y; } anon;
	union { long l; void *p; };
	int id __tag("id_tag");
	char tail[];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, int);
	__type(value, struct node);
} nodes SEC(".maps");

int counter = 1;
static volatile const int limit = 10;
char buf[16];

static __attribute__((noinline)) int helper(struct node *n __tag("arg_tag"), long k)
{
	return n ? n->id + k + limit : 0;
}

SEC("socket")
int prog(void *ctx)
{
	int key = 0;
	struct node *n = bpf_map_lookup_elem(&nodes, &key);
	counter++;
	buf[0] = 1;
	return helper(n, counter);
}

char LICENSE[] SEC("license") = "GPL";
