package io.bpf4j.tools;

import io.bpf4j.core.link.Xdp;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * What a tool attached to can go away while it runs: the process it traces, the interface its XDP program is on.
 * These checks, given to {@link ToolSession#watch}, say when, so that the tool says so and stops instead of going
 * on showing nothing.
 */
public final class Targets {
    private Targets() {
    }

    /**
     * "process PID exited" once process {@code pid} has ended — gone, a zombie, or its PID reused by a process
     * started later — else null.
     */
    public static Supplier<String> process(int pid) {
        String started = startTime(pid);
        return () -> {
            String now = startTime(pid);
            return now != null && now.equals(started) ? null : "process " + pid + " exited";
        };
    }

    /** The start time of a live process (field 22 of /proc/PID/stat), or null when it is gone or a zombie. */
    private static String startTime(int pid) {
        String stat;
        try {
            stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
        } catch (IOException gone) {
            return null;
        }
        // "PID (COMM) STATE PPID …": COMM may hold spaces and parentheses, so count from the last ')'
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        if (f.length < 20 || f[0].equals("Z") || f[0].equals("X")) return null;
        return f[19];
    }

    /**
     * "network interface NAME is gone" once the interface named {@code name} has been deleted (or replaced: a new
     * one of that name has another index, and the program is not on it), else null.
     */
    public static Supplier<String> networkInterface(String name) {
        int index = Xdp.ifindex(name);
        return () -> {
            try {
                int now = Integer.parseInt(Files.readString(Path.of("/sys/class/net", name, "ifindex")).strip());
                return now == index ? null : "network interface " + name + " was replaced (index " + index + " is "
                        + "gone)";
            } catch (IOException | NumberFormatException gone) {
                return "network interface " + name + " is gone";
            }
        };
    }
}
