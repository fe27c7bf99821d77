// Loads a BPF object with libbpf (Debian's libbpf-dev) and prints, for each loaded program, what libbpf handed to
// the kernel after its CO-RE relocations: the kernel's tag, the xlated length and the instructions as 16 hex
// digits per slot (raw little-endian bytes). CoreRelocatorTest compares bpf4j's relocation with it.
//   gcc -O1 -o core_harness core_harness.c -lbpf -lelf -lz
//   core_harness OBJECT [-v]      (-v: libbpf's debug log on stderr, with each CO-RE relocation)
//   core_harness --each OBJECT [PROGRAM] [-v]
//       each program on its own (all others autoload off via bpf_program__set_autoload), the object opened afresh
//       for each: prints one line per program, "NAME loaded TAG" or "NAME failed ERRNO" (ERRNO positive).
//       With PROGRAM, only that one. Without, first the whole object as it is (every autoload program together):
//       "@ loaded" and "@NAME loaded TAG" for each program, or "@ failed ERRNO". ConformanceTest compares this with
//       bpf4j.
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>

static int verbose;

static int print(enum libbpf_print_level level, const char *fmt, va_list args)
{
    if (level == LIBBPF_DEBUG && !verbose)
        return 0;
    return vfprintf(stderr, fmt, args);
}

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
    (void)level; (void)fmt; (void)args;
    return 0;
}

static int each(int argc, char **argv)
{
    const char *path = argv[2];
    const char *only = NULL;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0)
            verbose = 1;
        else
            only = argv[i];
    }
    libbpf_set_print(verbose ? print : quiet_print);
    struct bpf_object *obj = bpf_object__open_file(path, NULL);
    long err = libbpf_get_error(obj);
    if (err) {
        printf("open failed %ld\n", -err);
        return 1;
    }
    int n = 0;
    struct bpf_program *prog;
    bpf_object__for_each_program(prog, obj) n++;
    char **names = calloc(n > 0 ? n : 1, sizeof(char *));
    int k = 0;
    bpf_object__for_each_program(prog, obj) names[k++] = strdup(bpf_program__name(prog));
    bpf_object__close(obj);
    if (!only) {
        obj = bpf_object__open_file(path, NULL);
        struct bpf_map *map;
        bpf_object__for_each_map(map, obj) bpf_map__set_pin_path(map, NULL);
        err = bpf_object__load(obj);
        if (err) {
            printf("@ failed %ld\n", -err);
        } else {
            printf("@ loaded\n");
            bpf_object__for_each_program(prog, obj) {
                struct bpf_prog_info info;
                __u32 len = sizeof(info);
                memset(&info, 0, sizeof(info));
                if (bpf_program__fd(prog) < 0 || bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
                    continue;
                printf("@%s loaded ", bpf_program__name(prog));
                for (int b = 0; b < 8; b++)
                    printf("%02x", info.tag[b]);
                printf("\n");
            }
        }
        fflush(stdout);
        bpf_object__close(obj);
    }
    for (int i = 0; i < n; i++) {
        if (only && strcmp(only, names[i]) != 0)
            continue;
        obj = bpf_object__open_file(path, NULL);
        if (libbpf_get_error(obj)) {
            printf("%s failed %ld\n", names[i], -libbpf_get_error(obj));
            continue;
        }
        // bpf4j does not pin maps by name (LIBBPF_PIN_BY_NAME) while loading: neither does the harness, so that
        // it leaves nothing behind in /sys/fs/bpf and never reuses a map pinned there
        struct bpf_map *map;
        bpf_object__for_each_map(map, obj) bpf_map__set_pin_path(map, NULL);
        struct bpf_program *target = NULL;
        bpf_object__for_each_program(prog, obj) {
            int self = strcmp(bpf_program__name(prog), names[i]) == 0;
            bpf_program__set_autoload(prog, self);
            if (self)
                target = prog;
        }
        err = bpf_object__load(obj);
        if (err || !target || bpf_program__fd(target) < 0) {
            printf("%s failed %ld\n", names[i], err < 0 ? -err : err);
        } else {
            struct bpf_prog_info info;
            __u32 len = sizeof(info);
            memset(&info, 0, sizeof(info));
            if (bpf_obj_get_info_by_fd(bpf_program__fd(target), &info, &len)) {
                printf("%s failed %d\n", names[i], errno);
            } else {
                printf("%s loaded ", names[i]);
                for (int b = 0; b < 8; b++)
                    printf("%02x", info.tag[b]);
                printf("\n");
            }
        }
        fflush(stdout);
        bpf_object__close(obj);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], "--each") == 0)
        return each(argc, argv);
    if (argc < 2) {
        fprintf(stderr, "usage: %s OBJECT [-v]\n", argv[0]);
        return 2;
    }
    verbose = argc > 2 && strcmp(argv[2], "-v") == 0;
    libbpf_set_print(print);
    struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
    if (!obj) {
        fprintf(stderr, "open failed\n");
        return 1;
    }
    int err = bpf_object__load(obj);
    if (err) {
        fprintf(stderr, "load failed: %d\n", err);
        return 1;
    }
    struct bpf_program *prog;
    bpf_object__for_each_program(prog, obj) {
        int fd = bpf_program__fd(prog);
        if (fd < 0)
            continue;
        struct bpf_prog_info info;
        __u32 len = sizeof(info);
        memset(&info, 0, sizeof(info));
        if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
            fprintf(stderr, "get info failed\n");
            return 1;
        }
        printf("prog %s tag ", bpf_program__name(prog));
        for (int i = 0; i < 8; i++)
            printf("%02x", info.tag[i]);
        printf(" xlated %u insns", info.xlated_prog_len);
        const struct bpf_insn *insns = bpf_program__insns(prog);
        size_t n = bpf_program__insn_cnt(prog);
        for (size_t i = 0; i < n; i++) {
            const unsigned char *b = (const unsigned char *)&insns[i];
            printf(" ");
            for (int k = 0; k < 8; k++)
                printf("%02x", b[k]);
        }
        printf("\n");
    }
    bpf_object__close(obj);
    return 0;
}
