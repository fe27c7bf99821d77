package io.bpf4j.bench;

import io.bpf4j.core.BpfObject;
import io.bpf4j.core.object.ObjectSpec;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Loading a many-program CO-RE object with bpf4j, timed the way {@code src/main/c/objload.c} times libbpf's
 * {@code bpf_object__open_file} + {@code bpf_object__load} + {@code bpf_object__close}, so that
 * {@code run-objload-bench} can print the two side by side.
 *
 * <pre>
 *   first_parse  the first ObjectSpec.read in this JVM (class loading, cold JIT)
 *   first_load   the first ObjectSpec.read + BpfObject.load + close in this JVM, after first_parse: class loading
 *                and the parse of /sys/kernel/btf/vmlinux for CO-RE (once per process) included
 *   parse        ObjectSpec.read(FILE): read the file, parse the ELF, its BTF and BTF.ext, the programs
 *   load         ObjectSpec.read + BpfObject.load (CO-RE relocation, maps, every autoload program through the
 *                verifier) + close
 *   peak_rss_kib the resident-set high-water mark of this process (VmHWM), as getrusage's ru_maxrss in C
 * </pre>
 *
 * For each of parse and load: untimed warm-up rounds, then ROUNDS timed ones; prints the mean, median and min.
 * Output lines as objload.c's: "NAME VALUE", '#' comments.
 * <p>
 * Run: {@code java --enable-native-access=ALL-UNNAMED -cp target/benchmarks.jar io.bpf4j.bench.ObjectLoadBench
 * [-r ROUNDS] [-w WARMUP] [-x PROGRAM]… [--once] FILE}; {@code -x} leaves a program out (autoload off), {@code --once}
 * loads the object once and exits (for end-to-end process timing).
 * {@code ObjectLoadBench --extract BINARY OUT} writes the BPF object with the most programs that BINARY (a
 * libbpf-tools executable) embeds to OUT.
 */
public final class ObjectLoadBench {
    private ObjectLoadBench() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 3 && args[0].equals("--extract")) {
            extract(Path.of(args[1]), Path.of(args[2]));
            return;
        }
        int rounds = 50, warmup = 100;
        boolean once = false;
        List<String> skip = new ArrayList<>();
        Path file = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "-r" -> rounds = Integer.parseInt(args[++i]);
                case "-w" -> warmup = Integer.parseInt(args[++i]);
                case "-x" -> skip.add(args[++i]);
                case "--once" -> once = true;
                default -> file = Path.of(args[i]);
            }
        }
        if (file == null) {
            System.err.println("usage: ObjectLoadBench [-r ROUNDS] [-w WARMUP] [-x PROGRAM]... [--once] FILE");
            System.exit(2);
        }
        if (once) {
            try (BpfObject o = BpfObject.load(spec(file, skip))) {
                System.out.println("loaded " + o.programs().size() + " programs, " + o.maps().size() + " maps");
            }
            return;
        }
        System.out.printf("# ObjectLoadBench: bpf4j on Java %s, %s%n", Runtime.version(), file);

        long t0 = System.nanoTime();
        ObjectSpec first = spec(file, skip);
        double firstParse = (System.nanoTime() - t0) / 1e6;
        t0 = System.nanoTime();
        int loaded;
        try (BpfObject o = BpfObject.load(spec(file, skip))) {
            loaded = o.programs().size();
        }
        double firstLoad = (System.nanoTime() - t0) / 1e6;
        System.out.printf("# programs: %d in the object, %d loaded, %d maps%n", first.programs().size(), loaded,
                first.maps().size());
        System.out.printf("programs %d%nloaded %d%n", first.programs().size(), loaded);
        System.out.printf("first_parse %.3f%nfirst_load %.3f%n", firstParse, firstLoad);

        run("parse", file, skip, false, Math.max(warmup * 50, 1000), rounds * 10);
        run("load", file, skip, true, warmup, rounds);
        System.out.printf("peak_rss_kib %d%n", peakRssKib());
    }

    private static ObjectSpec spec(Path file, List<String> skip) {
        ObjectSpec spec = ObjectSpec.read(file);
        for (String name : skip) spec = spec.withAutoload(name, false);
        return spec;
    }

    private static void run(String name, Path file, List<String> skip, boolean load, int warmup, int rounds) {
        double[] t = new double[rounds];
        for (int i = -warmup; i < rounds; i++) {
            long t0 = System.nanoTime();
            ObjectSpec spec = spec(file, skip);
            if (load) {
                try (BpfObject o = BpfObject.load(spec)) {
                    if (o.programs().isEmpty()) throw new IllegalStateException("nothing loaded");
                }
            } else if (spec.programs().isEmpty()) {
                throw new IllegalStateException("no programs");
            }
            double ms = (System.nanoTime() - t0) / 1e6;
            if (i >= 0) t[i] = ms;
        }
        double sum = 0;
        for (double x : t) sum += x;
        Arrays.sort(t);
        double median = rounds % 2 == 1 ? t[rounds / 2] : (t[rounds / 2 - 1] + t[rounds / 2]) / 2;
        System.out.printf("# %s: mean %.3f ms, median %.3f ms, min %.3f ms over %d rounds (%d warm-up)%n", name,
                sum / rounds, median, t[0], rounds, warmup);
        System.out.printf("%s %.3f%n%s_median %.3f%n%s_min %.3f%n", name, sum / rounds, name, median, name, t[0]);
    }

    private static long peakRssKib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        } catch (IOException e) {
            // fall through
        }
        return -1;
    }

    /** Writes the embedded BPF object of {@code binary} with the most programs to {@code out}. */
    private static void extract(Path binary, Path out) throws IOException {
        byte[] best = null;
        int bestPrograms = -1;
        for (byte[] object : embeddedBpfObjects(Files.readAllBytes(binary))) {
            int n;
            try {
                n = ObjectSpec.parse(object).programs().size();
            } catch (RuntimeException e) {
                continue;
            }
            if (n > bestPrograms) {
                best = object;
                bestPrograms = n;
            }
        }
        if (best == null) {
            System.err.println("ObjectLoadBench: no BPF object embedded in " + binary);
            System.exit(1);
        }
        Files.write(out, best);
        System.out.printf("# extracted %s: %d bytes, %d programs%n", out, best.length, bestPrograms);
    }

    /** ELF64 little-endian EM_BPF (247) images inside {@code binary}, cut at the end of their section headers. */
    static List<byte[]> embeddedBpfObjects(byte[] binary) {
        List<byte[]> out = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(binary).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 1; i + 64 <= binary.length; i++) {
            if (binary[i] != 0x7f || binary[i + 1] != 'E' || binary[i + 2] != 'L' || binary[i + 3] != 'F') continue;
            if (binary[i + 4] != 2 || binary[i + 5] != 1 || b.getShort(i + 18) != 247) continue;
            long end = b.getLong(i + 40) + 64L * Short.toUnsignedInt(b.getShort(i + 60));
            if (end <= 64 || i + end > binary.length) continue;
            out.add(Arrays.copyOfRange(binary, i, (int) (i + end)));
        }
        return out;
    }
}
