/*
 * USDT probes whose arguments gcc -O1 places where bpf4j bt must decode them: constants narrower than 64 bits
 * (4@$-16 is 4294967280) and an array element at a base register plus an index register times a scale
 * (-8@(%rsp,%rdx,8)), and a probe whose name has quotes in it. The index comes from argv so that gcc cannot fold
 * it into a constant offset.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/sdt.h>

int main(int argc, char **argv)
{
    volatile int64_t table[8];
    int i = argc > 1 ? atoi(argv[1]) : 3;
    for (int k = 0; k < 8; k++)
        table[k] = -1000 * k - 7;
    DTRACE_PROBE1(bt, indexed, table[i]);
    DTRACE_PROBE1(bt, const_u32, (uint32_t) 0xfffffff0u);
    DTRACE_PROBE1(bt, const_s16, (int16_t) -3600);
    DTRACE_PROBE1(bt, "quoted", i);
    return 0;
}
