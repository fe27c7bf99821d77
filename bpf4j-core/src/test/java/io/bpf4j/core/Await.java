package io.bpf4j.core;

import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * Waits for what a test can observe (a counter that grows, a thread that blocks) instead of sleeping for a time that
 * an idle machine makes long enough and a busy one does not. The timeout only turns a hang into a failure.
 */
public final class Await {
    /** How long a test waits for something before it fails. */
    public static final long TIMEOUT_S = 60;

    /** The numbers of epoll_wait, epoll_pwait and epoll_pwait2 (aarch64 has only the last two). */
    private static final java.util.Set<String> EPOLL_WAITS = System.getProperty("os.arch").equals("aarch64")
            ? java.util.Set.of("22", "441") : java.util.Set.of("232", "281", "441");

    private Await() {
    }

    /** Waits (polling every few ms) until {@code condition} holds; fails after {@value #TIMEOUT_S} s. */
    public static void until(String what, Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
        while (!condition.call()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + TIMEOUT_S + " s: " + what);
            }
            Thread.sleep(5);
        }
    }

    /**
     * Waits until the thread of this JVM named {@code name} (its first 15 characters, as the kernel keeps it) sleeps
     * in {@code epoll_wait}/{@code epoll_pwait}: a test can then make the event that must wake it.
     */
    public static void blockedInEpoll(String name) throws Exception {
        until("a thread '" + name + "' blocked in epoll_wait", () -> {
            try (var tasks = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/task"))) {
                for (java.nio.file.Path t : tasks.toList()) {
                    try {
                        if (!java.nio.file.Files.readString(t.resolve("comm")).strip()
                                .equals(name.substring(0, Math.min(15, name.length())))) continue;
                        String stat = java.nio.file.Files.readString(t.resolve("stat"));
                        char state = stat.charAt(stat.lastIndexOf(')') + 2);
                        String nr = java.nio.file.Files.readString(t.resolve("syscall")).split(" ")[0].strip();
                        if (state == 'S' && EPOLL_WAITS.contains(nr)) return true;
                    } catch (java.io.IOException exited) {
                        // the thread ended meanwhile
                    }
                }
            }
            return false;
        });
    }
}
