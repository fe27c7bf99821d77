package io.bpf4j.core;

import io.bpf4j.core.error.BpfException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The machine's CPUs as the kernel lists them in /sys/devices/system/cpu ({@code possible}, {@code online}).
 * Per-CPU maps hold one value for each <em>possible</em> CPU, in ascending CPU order, which may be more than
 * the CPUs online now (hot-pluggable ones count).
 */
public final class Cpus {
    private static final Path SYS_CPU = Path.of("/sys/devices/system/cpu");
    private static volatile int[] possible;

    private Cpus() {
    }

    /** The ids of the possible CPUs, ascending (read once: the set cannot change while the system runs). */
    public static List<Integer> possible() {
        return boxed(possibleIds());
    }

    /** How many CPUs are possible: the number of values in each element of a per-CPU map. */
    public static int possibleCount() {
        return possibleIds().length;
    }

    /** The ids of the CPUs online now, ascending. */
    public static List<Integer> online() {
        return parseList(read("online"));
    }

    private static int[] possibleIds() {
        int[] p = possible;
        if (p == null) {
            p = parseList(read("possible")).stream().mapToInt(Integer::intValue).toArray();
            if (p.length == 0) throw new IllegalStateException(SYS_CPU.resolve("possible") + " lists no CPU");
            possible = p;
        }
        return p;
    }

    /**
     * Parses a kernel CPU list such as {@code 0-3}, {@code 0,2-3} or {@code 0-7:2} (every second CPU), as in
     * /sys/devices/system/cpu/possible, into ascending CPU ids.
     *
     * @throws IllegalArgumentException when the text is not a CPU list
     */
    public static List<Integer> parseList(String text) {
        List<Integer> ids = new ArrayList<>();
        String s = text.strip();
        if (s.isEmpty()) return ids;
        for (String part : s.split(",")) {
            String p = part.strip();
            try {
                int stride = 1;
                int colon = p.indexOf(':');
                if (colon >= 0) {
                    stride = Integer.parseInt(p.substring(colon + 1));
                    p = p.substring(0, colon);
                }
                int dash = p.indexOf('-');
                int from = Integer.parseInt(dash < 0 ? p : p.substring(0, dash));
                int to = dash < 0 ? from : Integer.parseInt(p.substring(dash + 1));
                if (from < 0 || to < from || stride < 1) throw new NumberFormatException();
                for (int cpu = from; cpu <= to; cpu += stride) ids.add(cpu);
            } catch (NumberFormatException | IndexOutOfBoundsException e) {
                throw new IllegalArgumentException("not a CPU list: '" + text.strip()
                        + "' (expected e.g. 0-3 or 0,2-3)");
            }
        }
        return ids.stream().distinct().sorted().toList();
    }

    private static String read(String name) {
        Path file = SYS_CPU.resolve(name);
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new BpfException("read " + file, 0, "cannot read " + file + " (is /sys mounted?): " + e, e);
        }
    }

    private static List<Integer> boxed(int[] ids) {
        List<Integer> list = new ArrayList<>(ids.length);
        for (int id : ids) list.add(id);
        return List.copyOf(list);
    }
}
