package io.bpf4j.tools;

import java.time.Duration;
import java.time.LocalTime;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Work a tool does on a daemon thread while it traces, so that little is left to do when it ends: reading the
 * kernel's and the traced processes' symbol tables and naming the stacks seen so far, so that a stack tool only
 * names the last few stacks after Ctrl-C before it prints (exit within 0.1 s). The work is best effort: a round that
 * fails is retried at the next one, and whatever it could not do is done by the tool at the end, as without it.
 *
 * <p>The thread starts after the tool has attached (start-up is not delayed), runs a round at once and then every
 * {@code period}, and is stopped by {@link #close()} before the tool reads its maps for the last time. A round reads
 * BPF maps only through {@link #read}, which {@link #close()} waits for, so no map is read after it returns and the
 * tool may close its object; a round still naming frames goes on alongside the tool's own last pass (the symbol
 * caches are shared and thread-safe) and ends at its next {@link #running()} check. The thread is never interrupted:
 * an interrupt would abort a symbol file being read, which would then be taken as unreadable.
 */
public final class Background implements AutoCloseable {
    /** One round of background work. */
    @FunctionalInterface
    public interface Round {
        /** Does one round; should check {@link Background#running()} between steps. */
        void run(Background background) throws Exception;
    }

    private final CountDownLatch stop = new CountDownLatch(1);
    private final ReentrantLock reading = new ReentrantLock();
    private final Thread thread;
    private volatile boolean running = true;

    private Background(String name, Duration period, Round round) {
        thread = Thread.ofPlatform().daemon().name(name).unstarted(() -> {
            try {
                warmUp();
                do {
                    try {
                        round.run(this);
                    } catch (Exception e) {
                        // best effort: the tool's own last pass does what this could not, and reports the errors
                    }
                } while (running && !stop.await(period.toMillis(), TimeUnit.MILLISECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /**
     * What a report does the first time it prints, whichever tool: a number formatted ({@code %d} loads the
     * locale's digits), the time of day (the time zone database) — tens of milliseconds when first done at the end.
     */
    private static void warmUp() {
        String.format("%d %s %.1f", 1L, "", 1.0);
        LocalTime.now();
    }

    /** Starts {@code round} on a daemon thread named {@code name}, now and every {@code period} until closed. */
    public static Background start(String name, Duration period, Round round) {
        Background b = new Background(name, period, round);
        b.thread.start();
        return b;
    }

    /** Whether the work should go on ({@link #close()} not called yet). */
    public boolean running() {
        return running;
    }

    /**
     * Runs {@code read} (which reads the tool's BPF maps) unless the work was stopped; {@code null} when it was.
     * {@link #close()} waits for a read in progress.
     */
    public <T> T read(Supplier<T> read) {
        reading.lock();
        try {
            return running ? read.get() : null;
        } finally {
            reading.unlock();
        }
    }

    /**
     * Stops the work: returns once no map read is in progress and none will start; the thread ends at its next
     * check. Idempotent.
     */
    @Override
    public void close() {
        running = false;
        stop.countDown();
        reading.lock();
        reading.unlock();
    }
}
