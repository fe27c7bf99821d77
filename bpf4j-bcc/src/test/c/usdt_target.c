// The USDT test binary of bpf4j-bcc: fires bcctest:tick(i, 42) for i = 0 .. argv[1] - 1.
#include <stdlib.h>
#include <sys/sdt.h>

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1;
	for (volatile int i = 0; i < n; i++)
		DTRACE_PROBE2(bcctest, tick, i, 42L);
	return 0;
}
