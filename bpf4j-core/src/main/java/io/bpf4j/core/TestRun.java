package io.bpf4j.core;

import java.util.Objects;

/**
 * The input of one {@link Program#testRun(TestRun)} (BPF_PROG_TEST_RUN).
 *
 * @param data           the packet (for XDP, TC, socket filter… programs), or empty
 * @param dataOutSize    room for the packet the program leaves behind (grown if the program makes it larger);
 *                       0 to not copy the packet back
 * @param context        the context passed in (e.g. a {@code struct __sk_buff}, or tracing program arguments)
 * @param contextOutSize room for the context as the program leaves it, 0 for none
 * @param repeat         how many times to run (0 means once; raw tracepoint programs accept only 0); the
 *                       reported duration is the average per run
 * @param flags          BPF_F_TEST_* flags (e.g. BPF_F_TEST_RUN_ON_CPU = 1, BPF_F_TEST_XDP_LIVE_FRAMES = 2)
 * @param cpu            the CPU to run on with BPF_F_TEST_RUN_ON_CPU
 * @param batchSize      frames per batch with BPF_F_TEST_XDP_LIVE_FRAMES
 */
public record TestRun(byte[] data, int dataOutSize, byte[] context, int contextOutSize, int repeat, int flags,
                      int cpu, int batchSize) {
    /** BPF_F_TEST_RUN_ON_CPU: run on {@link #cpu()} (raw tracepoint programs). */
    public static final int F_RUN_ON_CPU = 1;
    /** BPF_F_TEST_XDP_LIVE_FRAMES: XDP frames really transmitted/redirected. */
    public static final int F_XDP_LIVE_FRAMES = 2;

    public TestRun {
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(context, "context");
        if (repeat < 0 || dataOutSize < 0 || contextOutSize < 0) {
            throw new IllegalArgumentException("repeat and sizes must not be negative");
        }
    }

    /** Runs once on a packet; the packet out may be up to 256 bytes longer than the packet in. */
    public static TestRun withData(byte[] packet) {
        return new TestRun(packet.clone(), packet.length + 256, new byte[0], 0, 1, 0, 0, 0);
    }

    /**
     * Runs once on a context only (raw tracepoint, tracing and syscall programs), copying no context back:
     * raw tracepoint programs refuse a context out and a repeat count. Add {@link #context(byte[], int)} to get
     * the context back from program types that allow it (syscall).
     */
    public static TestRun withContext(byte[] context) {
        return new TestRun(new byte[0], 0, context.clone(), 0, 0, 0, 0, 0);
    }

    /** This run with a context as well (e.g. a {@code struct __sk_buff} for a TC program). */
    public TestRun context(byte[] ctx, int outSize) {
        return new TestRun(data, dataOutSize, ctx.clone(), outSize, repeat, flags, cpu, batchSize);
    }

    /** This run repeated {@code n} times (the kernel reports the average duration). */
    public TestRun repeat(int n) {
        return new TestRun(data, dataOutSize, context, contextOutSize, n, flags, cpu, batchSize);
    }

    /** This run with BPF_F_TEST_* flags. */
    public TestRun flags(int f) {
        return new TestRun(data, dataOutSize, context, contextOutSize, repeat, f, cpu, batchSize);
    }

    /** This run on the given CPU (sets BPF_F_TEST_RUN_ON_CPU). */
    public TestRun onCpu(int c) {
        return new TestRun(data, dataOutSize, context, contextOutSize, repeat, flags | F_RUN_ON_CPU, c, batchSize);
    }
}
