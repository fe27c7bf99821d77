package io.bpf4j.core;

import java.time.Duration;

/**
 * What {@link Program#testRun(TestRun)} gave back.
 *
 * @param returnValue     the program's return value (e.g. XDP_DROP = 1, XDP_PASS = 2)
 * @param data            the packet as the program left it (empty when no packet was passed)
 * @param context         the context as the program left it (empty unless asked for)
 * @param averageDuration the kernel-measured time per run
 */
public record TestRunResult(int returnValue, byte[] data, byte[] context, Duration averageDuration) {
}
