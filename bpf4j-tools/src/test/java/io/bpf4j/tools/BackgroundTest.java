package io.bpf4j.tools;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The background work of the stack tools: when it runs, and that closing it waits for a map read. */
class BackgroundTest {
    @Test
    void roundsRunFromBeginUntilClose() throws Exception {
        AtomicInteger rounds = new AtomicInteger();
        CountDownLatch two = new CountDownLatch(2);
        try (Background b = Background.prepare("bpf4j-test", Duration.ofMillis(10), bg -> {
            rounds.incrementAndGet();
            two.countDown();
        })) {
            assertThat(b.tid()).as("the thread's id in the kernel").isPositive();
            assertThat(Files.exists(Path.of("/proc/self/task/" + b.tid()))).isTrue();
            Thread.sleep(50);
            assertThat(rounds.get()).as("nothing before begin()").isZero();
            b.begin();
            assertThat(two.await(5, TimeUnit.SECONDS)).isTrue();
            b.close();
            int after = rounds.get();
            Thread.sleep(50);
            assertThat(rounds.get()).as("at most the round under way ends after close()").isLessThanOrEqualTo(after + 1);
            assertThat(b.running()).isFalse();
            assertThat(b.<String>read(() -> "read")).as("no map read after close()").isNull();
        }
    }

    @Test
    void closeWaitsForAReadUnderWay() throws Exception {
        CountDownLatch reading = new CountDownLatch(1);
        AtomicInteger finished = new AtomicInteger();
        try (Background b = Background.start("bpf4j-test", Duration.ofHours(1), bg -> bg.read(() -> {
            reading.countDown();
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                throw new AssertionError("interrupted", e);
            }
            return finished.incrementAndGet();
        }))) {
            assertThat(reading.await(5, TimeUnit.SECONDS)).isTrue();
            b.close();
            assertThat(finished.get()).as("close() returned after the read").isEqualTo(1);
        }
    }

    @Test
    void aRoundThatFailsIsRetried() throws Exception {
        CountDownLatch twice = new CountDownLatch(2);
        try (Background b = Background.start("bpf4j-test", Duration.ofMillis(5), bg -> {
            twice.countDown();
            throw new IllegalStateException("no luck this time");
        })) {
            assertThat(twice.await(5, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void closedBeforeBeginTheThreadEnds() throws Exception {
        AtomicInteger rounds = new AtomicInteger();
        Background b = Background.prepare("bpf4j-test", Duration.ofMillis(5), bg -> rounds.incrementAndGet());
        b.close();
        b.begin();
        Thread.sleep(50);
        assertThat(rounds.get()).isZero();
    }
}
