// ringbench: the C side of run-ringbuf-bench (see bpf4j-bench/README.md and io.bpf4j.bench.RingBufBench).
//
//   ringbench consume PINNED_RINGBUF   libbpf consumer: ring_buffer__new + ring_buffer__poll on a ring buffer map
//                                      pinned by the driver, until SIGTERM/SIGINT; then drains what is left and
//                                      prints "records N checksum C" (N = records handed to the callback) and
//                                      "cpu S" (its user + system CPU seconds).
//   ringbench consume-perf PINNED_PERF PAGES
//                                      libbpf consumer: perf_buffer__new (PAGES data pages per CPU) +
//                                      perf_buffer__poll on a perf event array pinned by the driver; prints the same
//                                      plus "lost L" (the samples its lost callback was told about).
//   ringbench flood SECONDS            the producer: getppid() in a tight loop for SECONDS, then prints
//                                      "calls N seconds S" (each call fires the traced tracepoint once).
//   ringbench burst PINNED_PROG REPEAT CALLS
//                                      the burst producer (run-events-bench): CALLS calls of BPF_PROG_TEST_RUN on
//                                      the pinned XDP program with repeat = REPEAT (a 64-byte packet), then prints
//                                      "calls N seconds S" (N = REPEAT * CALLS program runs).
//
// The driver pins each to its CPU with taskset and loads the one BPF program both consumers read from, so the
// Java and the C consumer are measured on the same program, map and producer.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static uint64_t records, checksum;

static void on_signal(int sig) { (void)sig; stop = 1; }

// Reads the first 8 bytes like the Java handler does, so neither side skips touching the record.
static int on_record(void *ctx, void *data, size_t size) {
    (void)ctx; (void)size;
    records++;
    checksum += *(uint64_t *)data;
    return 0;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int consume(const char *path) {
    int fd = bpf_obj_get(path);
    if (fd < 0) { fprintf(stderr, "ringbench: bpf_obj_get(%s): %s\n", path, strerror(errno)); return 1; }
    struct ring_buffer *rb = ring_buffer__new(fd, on_record, NULL, NULL);
    if (!rb) { fprintf(stderr, "ringbench: ring_buffer__new: %s\n", strerror(errno)); return 1; }
    struct sigaction sa = { .sa_handler = on_signal };
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    printf("ready\n");
    fflush(stdout);
    while (!stop) {
        int n = ring_buffer__poll(rb, 100);
        if (n < 0 && n != -EINTR) { fprintf(stderr, "ringbench: ring_buffer__poll: %d\n", n); return 1; }
    }
    ring_buffer__consume(rb);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru); // the whole process: one thread, the consumer
    printf("records %llu checksum %llu\n", (unsigned long long)records, (unsigned long long)checksum);
    printf("cpu %.6f\n", ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
    ring_buffer__free(rb);
    return 0;
}

static uint64_t lost;

static void on_sample(void *ctx, int cpu, void *data, __u32 size) {
    (void)cpu;
    on_record(ctx, data, size);
}

static void on_lost(void *ctx, int cpu, __u64 count) { (void)ctx; (void)cpu; lost += count; }

static int consume_perf(const char *path, int pages) {
    int fd = bpf_obj_get(path);
    if (fd < 0) { fprintf(stderr, "ringbench: bpf_obj_get(%s): %s\n", path, strerror(errno)); return 1; }
    struct perf_buffer *pb = perf_buffer__new(fd, pages, on_sample, on_lost, NULL, NULL);
    if (!pb) { fprintf(stderr, "ringbench: perf_buffer__new: %s\n", strerror(errno)); return 1; }
    struct sigaction sa = { .sa_handler = on_signal };
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    printf("ready\n");
    fflush(stdout);
    while (!stop) {
        int n = perf_buffer__poll(pb, 100);
        if (n < 0 && n != -EINTR) { fprintf(stderr, "ringbench: perf_buffer__poll: %d\n", n); return 1; }
    }
    perf_buffer__consume(pb);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("records %llu checksum %llu\n", (unsigned long long)records, (unsigned long long)checksum);
    printf("cpu %.6f\n", ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
    printf("lost %llu\n", (unsigned long long)lost);
    perf_buffer__free(pb);
    return 0;
}

static int burst(const char *path, int repeat, int calls) {
    int fd = bpf_obj_get(path);
    if (fd < 0) { fprintf(stderr, "ringbench: bpf_obj_get(%s): %s\n", path, strerror(errno)); return 1; }
    char pkt[64] = {0};
    double start = now();
    for (int i = 0; i < calls; i++) {
        LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = sizeof(pkt), .repeat = repeat);
        int err = bpf_prog_test_run_opts(fd, &opts);
        if (err) { fprintf(stderr, "ringbench: bpf_prog_test_run_opts: %s\n", strerror(errno)); return 1; }
    }
    printf("calls %llu seconds %.6f\n", (unsigned long long)repeat * calls, now() - start);
    return 0;
}

static int flood(double seconds) {
    uint64_t calls = 0;
    double start = now(), end = start + seconds, t;
    do {
        for (int i = 0; i < 1024; i++) syscall(SYS_getppid);
        calls += 1024;
    } while ((t = now()) < end);
    printf("calls %llu seconds %.6f\n", (unsigned long long)calls, t - start);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "consume") == 0) return consume(argv[2]);
    if (argc == 4 && strcmp(argv[1], "consume-perf") == 0) return consume_perf(argv[2], atoi(argv[3]));
    if (argc == 3 && strcmp(argv[1], "flood") == 0) return flood(atof(argv[2]));
    if (argc == 5 && strcmp(argv[1], "burst") == 0) return burst(argv[2], atoi(argv[3]), atoi(argv[4]));
    fprintf(stderr, "usage: ringbench consume PINNED_RINGBUF | ringbench consume-perf PINNED_PERF PAGES | "
                    "ringbench flood SECONDS | ringbench burst PINNED_PROG REPEAT CALLS\n");
    return 2;
}
