// SPDX-License-Identifier: Apache-2.0
/*
 * btfparse: the libbpf reference for bpf4j's BTF parse benchmark (io.bpf4j.bench.BtfParseBench).
 *
 * Times, over ROUNDS rounds after WARMUP untimed ones, the same two operations as the Java side:
 *
 *   parse       btf__parse_raw(FILE): read the file and index its types (then btf__free)
 *   parse_find  the same, plus btf__find_by_name_kind(btf, "task_struct", BTF_KIND_STRUCT)
 *
 * and the memory a parsed BTF keeps: the growth of the resident set (/proc/self/statm) while one parsed
 * object is alive. Output: '#' comment lines, then "NAME MS" lines (the mean of the rounds) and "rss_kib N".
 *
 * Build: gcc -O2 -o btfparse btfparse.c -lbpf -lelf -lz     Run: ./btfparse [-r ROUNDS] [FILE]
 */
#define _GNU_SOURCE
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <bpf/libbpf_version.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long rss_kib(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f || fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
	if (f) fclose(f);
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static struct btf *parse(const char *file)
{
	struct btf *btf = btf__parse_raw(file);
	if (!btf) {
		fprintf(stderr, "btfparse: btf__parse_raw(%s): %s\n", file, strerror(errno));
		exit(1);
	}
	return btf;
}

static void run(const char *name, const char *file, int find, int rounds)
{
	double sum = 0, min = 1e30;
	for (int i = -5; i < rounds; i++) { /* 5 untimed warm-up rounds: page cache, allocator */
		double t0 = now_ms();
		struct btf *btf = parse(file);
		if (find && btf__find_by_name_kind(btf, "task_struct", BTF_KIND_STRUCT) < 0) {
			fprintf(stderr, "btfparse: no struct task_struct in %s\n", file);
			exit(1);
		}
		double t = now_ms() - t0;
		btf__free(btf);
		if (i < 0) continue;
		sum += t;
		if (t < min) min = t;
	}
	printf("# %s: mean %.3f ms, min %.3f ms over %d rounds\n", name, sum / rounds, min, rounds);
	printf("%s %.3f\n", name, sum / rounds);
	printf("%s_min %.3f\n", name, min);
}

int main(int argc, char **argv)
{
	int rounds = 50, opt;
	while ((opt = getopt(argc, argv, "r:")) != -1) {
		if (opt == 'r') rounds = atoi(optarg);
		else { fprintf(stderr, "usage: btfparse [-r ROUNDS] [FILE]\n"); return 2; }
	}
	const char *file = optind < argc ? argv[optind] : "/sys/kernel/btf/vmlinux";
	printf("# btfparse: libbpf %d.%d, %s\n", LIBBPF_MAJOR_VERSION, LIBBPF_MINOR_VERSION, file);
	/* memory first, in a fresh process: later, freed rounds would be reused and hide the growth */
	long before = rss_kib();
	struct btf *kept = parse(file);
	btf__find_by_name_kind(kept, "task_struct", BTF_KIND_STRUCT);
	printf("# types: %u\n", btf__type_cnt(kept) - 1);
	printf("rss_kib %ld\n", rss_kib() - before);
	btf__free(kept);
	run("parse", file, 0, rounds);
	run("parse_find", file, 1, rounds);
	return 0;
}
