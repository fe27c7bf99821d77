package io.bpf4j.architecture.cycle.exception;

import io.bpf4j.architecture.cycle.sys.Syscall;

/** Half of the cycle the old core had: the root's exception knew the syscall layer's errno table. */
public class Failure extends RuntimeException {
    public Failure(int errno) {
        super(Syscall.strerror(errno));
    }
}
