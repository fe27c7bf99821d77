// One event of every shape the BTF record decoder must handle, emitted into a ring buffer by an XDP program
// (so a test can produce it with BPF_PROG_TEST_RUN).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

enum state { STATE_IDLE = 0, STATE_RUNNING = 3, STATE_DEAD = 7 };

struct point { __s16 x; __s16 y; };

struct event {
    __u32 pid;
    char comm[16];
    __u64 ts;
    __s32 delta;
    enum state state;
    struct point where;
    union {                 /* anonymous: its members read as the event's own */
        __u32 word;
        __u8 bytes[4];
    };
    unsigned int flag_a : 1;
    unsigned int level : 3;
    int signed_bits : 4;
    _Bool ok;
    __u16 ports[3];
    void *ptr;
};

/* clang emits BTF only for types that something global refers to: this makes struct event's BTF exist. */
const struct event *unused_event __attribute__((unused));

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4096);
} events SEC(".maps");

SEC("xdp")
int emit_event(struct xdp_md *ctx)
{
    struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e)
        return XDP_PASS;
    __builtin_memset(e, 0, sizeof(*e));
    e->pid = 4242;
    __builtin_memcpy(e->comm, "decoder", 8);
    e->ts = 0xfedcba9876543210ULL;
    e->delta = -17;
    e->state = STATE_RUNNING;
    e->where.x = -3;
    e->where.y = 300;
    e->word = 0x01020304;
    e->flag_a = 1;
    e->level = 5;
    e->signed_bits = -2;
    e->ok = 1;
    e->ports[0] = 22;
    e->ports[1] = 80;
    e->ports[2] = 65535;
    e->ptr = (void *)0xdead0000;
    bpf_ringbuf_submit(e, 0);
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
