package io.bpf4j.cli;

import sun.misc.Signal;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The signals {@code bpf4j bt} answers as bpftrace does: SIGINT ends tracing (END runs, the maps are printed, exit
 * status 0), SIGUSR1 prints every map and tracing goes on.
 */
final class BtSignals {
    private static final int SIGINT = 2;
    private static final long SIG_IGN = 1;
    private static final long SIGACTION_BYTES = 152;

    private BtSignals() {
    }

    /**
     * Runs {@code action} on SIGINT (the first; a second one exits with status 130, as the JVM does). A shell runs
     * a background command ({@code bpftrace … &}) with SIGINT ignored, and the JVM then leaves it ignored; bpftrace
     * installs its handler regardless, so this does too.
     */
    static void onInterrupt(Runnable action) {
        if (ignored(SIGINT)) setDefault(SIGINT);
        // each signal is handled on a thread of its own
        AtomicBoolean seen = new AtomicBoolean();
        Signal.handle(new Signal("INT"), s -> {
            if (seen.getAndSet(true)) System.exit(128 + SIGINT);
            action.run();
        });
    }

    /** Runs {@code action} on each SIGUSR1. */
    static void onUsr1(Runnable action) {
        Signal.handle(new Signal("USR1"), s -> action.run());
    }

    /** Whether {@code signal} is ignored: sigaction(2) without a new action reads its disposition. */
    @SuppressWarnings("restricted") // libc's sigaction; the launcher enables native access
    private static boolean ignored(int signal) {
        Linker linker = Linker.nativeLinker();
        MethodHandle sigaction = linker.downcallHandle(linker.defaultLookup().find("sigaction").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                        ValueLayout.ADDRESS));
        try (Arena arena = Arena.ofConfined()) {
            // struct sigaction: the handler first, then the mask (128 bytes), the flags and the restorer
            MemorySegment old = arena.allocate(SIGACTION_BYTES, 8);
            int rc = (int) sigaction.invokeExact(signal, MemorySegment.NULL, old);
            return rc == 0 && old.get(ValueLayout.JAVA_LONG, 0) == SIG_IGN;
        } catch (Throwable t) {
            throw new IllegalStateException("sigaction(" + signal + ") failed", t);
        }
    }

    @SuppressWarnings("restricted") // libc's signal; the launcher enables native access
    private static void setDefault(int signal) {
        Linker linker = Linker.nativeLinker();
        MethodHandle call = linker.downcallHandle(linker.defaultLookup().find("signal").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
        try {
            // SIG_DFL (NULL); what it returns is the disposition it replaced, known to be SIG_IGN
            MemorySegment replaced = (MemorySegment) call.invokeExact(signal, MemorySegment.NULL);
        } catch (Throwable t) {
            throw new IllegalStateException("signal(" + signal + ") failed", t);
        }
    }
}
