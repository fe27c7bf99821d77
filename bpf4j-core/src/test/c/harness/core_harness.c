// Loads a BPF object with libbpf (Debian's libbpf-dev) and prints, for each loaded program, what libbpf handed to
// the kernel after its CO-RE relocations: the kernel's tag, the xlated length and the instructions as 16 hex
// digits per slot (raw little-endian bytes). CoreRelocatorTest compares bpf4j's relocation with it.
//   gcc -O1 -o core_harness core_harness.c -lbpf -lelf -lz
//   core_harness OBJECT [-v]      (-v: libbpf's debug log on stderr, with each CO-RE relocation)
#include <stdio.h>
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

int main(int argc, char **argv)
{
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
