// SPDX-License-Identifier: Apache-2.0
/*
 * mapbench: the libbpf reference for bpf4j's map benchmark (io.bpf4j.bench.MapBench).
 *
 * The same map and the same operations as the JMH benchmark, done from C through libbpf's low-level API
 * (bpf/bpf.h), so that the two columns of run-map-bench differ only by the user-space side:
 *
 *   a BPF_MAP_TYPE_HASH map, key u32, value u64, max_entries = ENTRIES, prefilled with keys 0..ENTRIES-1;
 *   lookup        bpf_map_lookup_elem of one existing key (keys taken in turn 0, 1, 2, ...)
 *   update        bpf_map_update_elem(BPF_ANY) of one existing key with a new value
 *   lookup_batch  bpf_map_lookup_batch of BATCH entries from the start of the map, per element
 *   update_batch  bpf_map_update_batch(BPF_ANY) of BATCH existing keys, per element
 *   lookup_mt     lookup again, after the process has started a second (idle) thread. A multi-threaded
 *                 process pays more in the kernel for every bpf(2) call: fdget() takes a reference on the
 *                 map's struct file (an atomic increment and decrement) instead of the single-threaded fast
 *                 path. A JVM always has many threads, so this is the C figure to set bpf4j's lookup against
 *                 when the question is the user-space cost alone.
 *
 * Each operation is warmed up, then timed with clock_gettime(CLOCK_MONOTONIC) over ROUNDS rounds of many
 * iterations (about half a second each). The output is one line per operation, "NAME NS_PER_OP" (the mean of
 * the rounds, like a JMH score), preceded by '#' comment lines (the set-up and the per-round figures), e.g.
 *
 *   # mapbench: libbpf 1.1, hash map u32 -> u64, 1024 entries, batch 1024, 3 rounds, scale 1.00
 *   # lookup rounds: 251.2 250.8 249.9  (min 249.9, median 250.8)
 *   lookup 250.6
 *
 * Build: gcc -O2 -pthread -o mapbench mapbench.c -lbpf -lelf -lz     Run as root (or with CAP_BPF).
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <bpf/libbpf_version.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static unsigned entries = 1024;   /* -e: map size, all prefilled */
static unsigned batch = 1024;     /* -b: elements per batch call */
static unsigned rounds = 10;      /* -r: timed rounds per operation */
static double scale = 1.0;        /* -s: multiplies the iteration counts (0.1 for a quick run) */

static int map_fd = -1;
static uint32_t *keys;            /* batch buffers */
static uint64_t *values;
static volatile uint64_t sink;    /* keeps the looked-up values alive */

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "mapbench: %s failed: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

/* --- the operations; each runs `iters` times and returns the number of elements it processed --- */

static uint64_t op_lookup(uint64_t iters)
{
	uint32_t key = 0;
	uint64_t value, sum = 0;
	for (uint64_t i = 0; i < iters; i++) {
		if (bpf_map_lookup_elem(map_fd, &key, &value))
			die("bpf_map_lookup_elem", errno);
		sum += value;
		if (++key == entries)
			key = 0;
	}
	sink += sum;
	return iters;
}

static uint64_t op_update(uint64_t iters)
{
	uint32_t key = 0;
	uint64_t value = 0;
	for (uint64_t i = 0; i < iters; i++) {
		value++;
		if (bpf_map_update_elem(map_fd, &key, &value, BPF_ANY))
			die("bpf_map_update_elem", errno);
		if (++key == entries)
			key = 0;
	}
	return iters;
}

static uint64_t op_lookup_batch(uint64_t iters)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	uint64_t done = 0;
	uint32_t out_batch;
	for (uint64_t i = 0; i < iters; i++) {
		uint32_t count = batch;
		/* in_batch NULL: from the start. ENOENT only says the map ended inside this batch. */
		int err = bpf_map_lookup_batch(map_fd, NULL, &out_batch, keys, values, &count, &opts);
		if (err && errno != ENOENT)
			die("bpf_map_lookup_batch", errno);
		done += count;
	}
	sink += values[0];
	return done;
}

static uint64_t op_update_batch(uint64_t iters)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_ANY);
	uint64_t done = 0;
	uint32_t first = 0;
	for (uint64_t i = 0; i < iters; i++) {
		for (uint32_t j = 0; j < batch; j++) {   /* the next BATCH existing keys, new values */
			keys[j] = (first + j) % entries;
			values[j] = i + j;
		}
		first = (first + batch) % entries;
		uint32_t count = batch;
		if (bpf_map_update_batch(map_fd, keys, values, &count, &opts))
			die("bpf_map_update_batch", errno);
		done += count;
	}
	return done;
}

static void *idle_thread(void *arg)
{
	for (;;)
		pause();
	return arg;
}

/* Last: from here on the process has two threads. */
static uint64_t op_lookup_mt(uint64_t iters)
{
	static int started;
	if (!started) {
		pthread_t t;
		int err = pthread_create(&t, NULL, idle_thread, NULL);
		if (err)
			die("pthread_create", err);
		started = 1;
	}
	return op_lookup(iters);
}

struct op {
	const char *name;
	uint64_t (*run)(uint64_t iters);
	uint64_t iters;                  /* per round (before scaling) */
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void bench(const struct op *op)
{
	uint64_t iters = (uint64_t)(op->iters * scale);
	double per[64], sum = 0;
	if (iters < 1)
		iters = 1;
	op->run(iters);                   /* warm-up: caches, branch predictors, the map's pages */
	op->run(iters);
	for (unsigned r = 0; r < rounds; r++) {
		double t0 = now_ns();
		uint64_t n = op->run(iters);
		double t1 = now_ns();
		per[r] = (t1 - t0) / (double)n;
		sum += per[r];
	}
	printf("# %s rounds:", op->name);
	for (unsigned r = 0; r < rounds; r++)
		printf(" %.1f", per[r]);
	qsort(per, rounds, sizeof(double), cmp_double);
	printf("  (min %.1f, median %.1f)\n", per[0], per[rounds / 2]);
	printf("%s %.1f\n", op->name, sum / rounds);
	fflush(stdout);
}

static void usage(void)
{
	fprintf(stderr, "usage: mapbench [-e ENTRIES] [-b BATCH] [-r ROUNDS] [-s SCALE]\n"
			"  prints 'OPERATION NS_PER_OP' lines (batch operations: per element)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int c;
	while ((c = getopt(argc, argv, "e:b:r:s:h")) != -1) {
		switch (c) {
		case 'e': entries = strtoul(optarg, NULL, 0); break;
		case 'b': batch = strtoul(optarg, NULL, 0); break;
		case 'r': rounds = strtoul(optarg, NULL, 0); break;
		case 's': scale = strtod(optarg, NULL); break;
		default: usage();
		}
	}
	if (!entries || !batch || batch > entries || !rounds || rounds > 64 || scale <= 0)
		usage();

	map_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "mapbench", sizeof(uint32_t), sizeof(uint64_t), entries, NULL);
	if (map_fd < 0)
		die("bpf_map_create (run as root)", map_fd);
	for (uint32_t k = 0; k < entries; k++) {
		uint64_t v = k;
		if (bpf_map_update_elem(map_fd, &k, &v, BPF_NOEXIST))
			die("prefill bpf_map_update_elem", errno);
	}
	keys = calloc(batch, sizeof(*keys));
	values = calloc(batch, sizeof(*values));
	if (!keys || !values)
		die("calloc", ENOMEM);

	printf("# mapbench: libbpf %d.%d, hash map u32 -> u64, %u entries, batch %u, %u rounds, scale %.2f\n",
	       LIBBPF_MAJOR_VERSION, LIBBPF_MINOR_VERSION, entries, batch, rounds, scale);
	const struct op ops[] = {
		{ "lookup", op_lookup, 500000 },
		{ "update", op_update, 500000 },
		{ "lookup_batch", op_lookup_batch, 1000 },
		{ "update_batch", op_update_batch, 1000 },
		{ "lookup_mt", op_lookup_mt, 500000 },   /* must stay last */
	};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		bench(&ops[i]);
	close(map_fd);
	return 0;
}
