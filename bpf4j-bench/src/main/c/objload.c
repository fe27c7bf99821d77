// SPDX-License-Identifier: Apache-2.0
/*
 * objload: the libbpf reference for bpf4j's object load benchmark (io.bpf4j.bench.ObjectLoadBench).
 *
 * Times, over ROUNDS rounds after WARMUP untimed ones, the same operations as the Java side:
 *
 *   parse       bpf_object__open_file(FILE) + bpf_object__close: read the file, parse the ELF, its BTF and
 *               BTF.ext, collect the programs and relocations (nothing reaches the kernel)
 *   load        bpf_object__open_file + bpf_object__load (vmlinux BTF for CO-RE, feature probes, maps, every
 *               autoload program through the verifier) + bpf_object__close
 *
 * and first_parse / first_load: the very first round of each in this process (the C counterpart of the Java
 * side's "first load in a fresh JVM"; libbpf keeps nothing between objects except its feature-probe cache, so
 * its first round is close to the others). peak_rss_kib is getrusage(RUSAGE_SELF).ru_maxrss.
 * Output: '#' comment lines, then "NAME VALUE" lines; times in ms (mean, _median, _min).
 *
 *   -x PROGRAM  leave a program out (bpf_program__set_autoload false; repeatable)
 *   -1          open + load + close once and exit: a trivial libbpf loader, for end-to-end process timing
 *
 * Build: gcc -O2 -o objload objload.c -lbpf -lelf -lz     Run: sudo ./objload [-r ROUNDS] [-w WARMUP] FILE
 */
#define _GNU_SOURCE
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static const char *skip[64];
static int nskip;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int print_fn(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static struct bpf_object *open_obj(const char *file)
{
	struct bpf_object *obj = bpf_object__open_file(file, NULL);
	if (!obj) {
		fprintf(stderr, "objload: bpf_object__open_file(%s): %s\n", file, strerror(errno));
		exit(1);
	}
	for (int i = 0; i < nskip; i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(obj, skip[i]);
		if (!p) {
			fprintf(stderr, "objload: no program '%s' in %s\n", skip[i], file);
			exit(1);
		}
		bpf_program__set_autoload(p, false);
	}
	return obj;
}

/* One round; returns its time in ms. *loaded gets the number of programs loaded. */
static double round_ms(const char *file, int load, int *loaded)
{
	double t0 = now_ms();
	struct bpf_object *obj = open_obj(file);
	if (load) {
		int err = bpf_object__load(obj);
		if (err) {
			fprintf(stderr, "objload: bpf_object__load(%s): %s\n", file, strerror(-err));
			exit(1);
		}
		if (loaded) {
			struct bpf_program *p;
			*loaded = 0;
			bpf_object__for_each_program(p, obj) if (bpf_program__fd(p) >= 0) (*loaded)++;
		}
	}
	bpf_object__close(obj);
	return now_ms() - t0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void run(const char *name, const char *file, int load, int warmup, int rounds)
{
	double *t = calloc(rounds, sizeof(*t)), sum = 0;
	for (int i = -warmup; i < rounds; i++) {
		double ms = round_ms(file, load, NULL);
		if (i >= 0) t[i] = ms;
	}
	for (int i = 0; i < rounds; i++) sum += t[i];
	qsort(t, rounds, sizeof(*t), cmp);
	double median = rounds % 2 ? t[rounds / 2] : (t[rounds / 2 - 1] + t[rounds / 2]) / 2;
	printf("# %s: mean %.3f ms, median %.3f ms, min %.3f ms over %d rounds (%d warm-up)\n", name,
	       sum / rounds, median, t[0], rounds, warmup);
	printf("%s %.3f\n%s_median %.3f\n%s_min %.3f\n", name, sum / rounds, name, median, name, t[0]);
	free(t);
}

int main(int argc, char **argv)
{
	int rounds = 50, warmup = 100, once = 0, opt;
	while ((opt = getopt(argc, argv, "r:w:x:1")) != -1) {
		switch (opt) {
		case 'r': rounds = atoi(optarg); break;
		case 'w': warmup = atoi(optarg); break;
		case 'x': if (nskip < 64) skip[nskip++] = optarg; break;
		case '1': once = 1; break;
		default:
			fprintf(stderr, "usage: objload [-r ROUNDS] [-w WARMUP] [-x PROGRAM]... [-1] FILE\n");
			return 2;
		}
	}
	if (optind >= argc || rounds < 1) {
		fprintf(stderr, "usage: objload [-r ROUNDS] [-w WARMUP] [-x PROGRAM]... [-1] FILE\n");
		return 2;
	}
	const char *file = argv[optind];
	libbpf_set_print(print_fn);
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);

	int loaded = 0;
	if (once) {
		round_ms(file, 1, &loaded);
		printf("loaded %d programs\n", loaded);
		return 0;
	}
	printf("# objload: libbpf %d.%d, %s\n", libbpf_major_version(), libbpf_minor_version(), file);

	int programs = 0;
	double t0 = now_ms(); /* the first parse, counting the programs on the way (no measurable cost) */
	struct bpf_object *obj = open_obj(file);
	struct bpf_program *p;
	bpf_object__for_each_program(p, obj) programs++;
	bpf_object__close(obj);
	double first_parse = now_ms() - t0;
	double first_load = round_ms(file, 1, &loaded);
	printf("# programs: %d in the object, %d loaded\n", programs, loaded);
	printf("programs %d\nloaded %d\n", programs, loaded);
	printf("first_parse %.3f\nfirst_load %.3f\n", first_parse, first_load);

	run("parse", file, 0, warmup * 50 > 1000 ? warmup * 50 : 1000, rounds * 10);
	run("load", file, 1, warmup, rounds);

	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("peak_rss_kib %ld\n", ru.ru_maxrss);
	return 0;
}
