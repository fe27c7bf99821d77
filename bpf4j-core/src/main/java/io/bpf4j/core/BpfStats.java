package io.bpf4j.core;

import io.bpf4j.core.internal.Bpf;
import io.bpf4j.core.kernel.Fd;

/**
 * Run-time statistics of every BPF program (run count and time in {@link ProgramInfo}), counted while at least
 * one holder keeps them on (BPF_ENABLE_STATS). They cost a little on every program run, so the kernel keeps
 * them off by default: enable them for as long as you measure, then close.
 */
public final class BpfStats implements AutoCloseable {
    private final Fd fd;

    private BpfStats(int fd) {
        this.fd = Fd.adopt(fd);
    }

    /** Turns run-time statistics on until {@link #close()}. */
    public static BpfStats enable() {
        return new BpfStats(Bpf.enableRunTimeStats());
    }

    /** Releases this hold; statistics stop when no holder (nor sysctl kernel.bpf_stats_enabled) remains. */
    @Override
    public void close() {
        fd.close();
    }
}
