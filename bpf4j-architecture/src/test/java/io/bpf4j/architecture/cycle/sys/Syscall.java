package io.bpf4j.architecture.cycle.sys;

import io.bpf4j.architecture.cycle.exception.Failure;

/** The other half: the syscall layer throws the root's exception. */
public final class Syscall {
    private Syscall() {
    }

    public static String strerror(int errno) {
        return "errno " + errno;
    }

    public static int call(int ret) {
        if (ret < 0) throw new Failure(-ret);
        return ret;
    }
}
