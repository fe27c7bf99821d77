// The uprobe/USDT test binary: bpf4j_target(100 + i) and the USDT probe bpf4j:tick(i, 42) N times (argv[1]),
// and bpf4j:sema(i) each time its semaphore is set.
#include <stdlib.h>
/* Probes with semaphores: the 2-byte counters in .probes that the kernel increments (uprobe ref_ctr_offset)
 * while a probe is attached; bpf4j:sema fires only then. */
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>

unsigned short bpf4j_tick_semaphore __attribute__((section(".probes")));
unsigned short bpf4j_sema_semaphore __attribute__((section(".probes")));

__attribute__((noinline)) int bpf4j_target(int x) {
    __asm__ volatile("" ::: "memory");
    return x * 2 + 1;
}

__attribute__((noinline)) int bpf4j_other(int x) {
    __asm__ volatile("" ::: "memory");
    return x - 1;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 10;
    volatile int sum = 0;
    for (int i = 0; i < n; i++) {
        sum += bpf4j_target(100 + i);
        sum += bpf4j_other(i);
        DTRACE_PROBE2(bpf4j, tick, i, 42);
        if (bpf4j_sema_semaphore) DTRACE_PROBE1(bpf4j, sema, i);
    }
    return 0;
}
