package io.bpf4j.bench;

import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.btf.BtfKind;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Parsing vmlinux's BTF with bpf4j, timed the way {@code src/main/c/btfparse.c} times libbpf's
 * {@code btf__parse_raw}, so that {@code run-btf-bench} can print the two side by side.
 *
 * <pre>
 *   parse       read the file + Btf.parse (check and index every type; records are decoded on demand)
 *   parse_find  the same + typeId("task_struct", STRUCT) (which builds the name index)
 *   heap_kib    heap kept by one parsed Btf with its name index, the file's bytes included
 * </pre>
 *
 * A timed main rather than JMH: one parse is milliseconds, so rounds are long enough to time directly; the JIT
 * is warmed up first with untimed rounds. Output lines as btfparse.c's: "NAME MS", '#' comments.
 * Run: {@code java -cp target/benchmarks.jar io.bpf4j.bench.BtfParseBench [-r ROUNDS] [FILE]}.
 */
public final class BtfParseBench {
    private BtfParseBench() {
    }

    public static void main(String[] args) throws IOException {
        int rounds = 50;
        Path file = Path.of("/sys/kernel/btf/vmlinux");
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("-r")) rounds = Integer.parseInt(args[++i]);
            else file = Path.of(args[i]);
        }
        System.out.printf("# BtfParseBench: bpf4j on Java %s, %s%n", Runtime.version(), file);
        heap(file);
        run("parse", file, false, rounds);
        run("parse_find", file, true, rounds);
    }

    private static Btf parse(Path file, boolean find) throws IOException {
        Btf btf = Btf.parse(Files.readAllBytes(file));
        if (find && btf.typeId("task_struct", BtfKind.STRUCT).isEmpty())
            throw new IllegalStateException("no struct task_struct in " + file);
        return btf;
    }

    private static void run(String name, Path file, boolean find, int rounds) throws IOException {
        for (int i = 0; i < 200; i++) parse(file, find); // untimed: JIT warm-up
        double sum = 0, min = Double.MAX_VALUE;
        for (int i = 0; i < rounds; i++) {
            long t0 = System.nanoTime();
            Btf btf = parse(file, find);
            double ms = (System.nanoTime() - t0) / 1e6;
            if (btf.typeCount() == 0) throw new IllegalStateException("empty");
            sum += ms;
            min = Math.min(min, ms);
        }
        System.out.printf("# %s: mean %.3f ms, min %.3f ms over %d rounds%n", name, sum / rounds, min, rounds);
        System.out.printf("%s %.3f%n%s_min %.3f%n", name, sum / rounds, name, min);
    }

    /** Heap kept alive by one parsed table (after full GCs, so only what is reachable counts). */
    private static void heap(Path file) throws IOException {
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        System.gc();
        long before = mem.getHeapMemoryUsage().getUsed();
        Btf kept = parse(file, true);
        System.gc();
        long after = mem.getHeapMemoryUsage().getUsed();
        System.out.printf("# types: %d%n", kept.typeCount());
        System.out.printf("heap_kib %d%n", (after - before) / 1024);
        if (kept.typeCount() < 0) System.out.println(kept); // keep it reachable until here
    }
}
