package io.bpf4j.tools.registry;

import io.bpf4j.tools.Tool;
import io.bpf4j.tools.block.Biolatency;
import io.bpf4j.tools.cpu.Offcputime;
import io.bpf4j.tools.cpu.Profile;
import io.bpf4j.tools.cpu.Stackcount;
import io.bpf4j.tools.fs.Cachestat;
import io.bpf4j.tools.fs.Mkdirsnoop;
import io.bpf4j.tools.fs.Opensnoop;
import io.bpf4j.tools.irq.Hardirqs;
import io.bpf4j.tools.irq.Softirqs;
import io.bpf4j.tools.jvm.Javacalls;
import io.bpf4j.tools.jvm.Javaclassload;
import io.bpf4j.tools.jvm.Javaflow;
import io.bpf4j.tools.jvm.Javagc;
import io.bpf4j.tools.jvm.Javajit;
import io.bpf4j.tools.jvm.Javamonitor;
import io.bpf4j.tools.jvm.Javaobjnew;
import io.bpf4j.tools.jvm.Javastat;
import io.bpf4j.tools.jvm.Javathreads;
import io.bpf4j.tools.mem.Kmemtrace;
import io.bpf4j.tools.mem.Memleak;
import io.bpf4j.tools.net.Solisten;
import io.bpf4j.tools.net.Tcpconnect;
import io.bpf4j.tools.net.Tcplife;
import io.bpf4j.tools.net.Tcpstates;
import io.bpf4j.tools.packet.Ddosdetect;
import io.bpf4j.tools.packet.Xdpfilter;
import io.bpf4j.tools.proc.Execsnoop;
import io.bpf4j.tools.proc.Exitsnoop;
import io.bpf4j.tools.sched.Runqlat;
import io.bpf4j.tools.sched.TaskSwitch;
import io.bpf4j.tools.syscall.Syscount;
import io.bpf4j.tools.trace.Argdist;
import io.bpf4j.tools.trace.Trace;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every tool, in one table: the group it is listed in by {@code bpf4j --help}, its command names and its class.
 * The names are those of the tool's {@code @Command} (name, then aliases; a test holds them equal): the command
 * line finds the tool it runs here, without reading the annotations of every tool (which costs a tool's start-up
 * about 10 ms).
 */
public final class Tools {
    private Tools() {
    }

    /**
     * A tool in the table.
     *
     * @param group what it observes: the heading it is listed under
     * @param tool  its command class (a picocli {@code @Command} extending {@link Tool})
     * @param names its command name, then its aliases
     */
    public record Entry(String group, Class<? extends Tool> tool, List<String> names) {
        public Entry {
            names = List.copyOf(names);
        }
    }

    private static final String FILES = "Files and the page cache", PROCESSES = "Processes",
            SYSCALLS = "System calls", SCHED = "Scheduler and CPU", STACKS = "Stacks and profiles", MEMORY = "Memory",
            IRQ = "Interrupts", BLOCK = "Block I/O", NET = "Network", PACKETS = "Packets (XDP)", JVM = "The JVM",
            ANY = "Any probe";

    /** The table, in the order {@code --help} lists the tools. */
    private static final List<Entry> TABLE = List.of(
            new Entry(FILES, Opensnoop.class, List.of("opensnoop")),
            new Entry(FILES, Mkdirsnoop.class, List.of("mkdirsnoop")),
            new Entry(FILES, Cachestat.class, List.of("cachestat")),
            new Entry(PROCESSES, Execsnoop.class, List.of("execsnoop")),
            new Entry(PROCESSES, Exitsnoop.class, List.of("exitsnoop")),
            new Entry(SYSCALLS, Syscount.class, List.of("syscount")),
            new Entry(SCHED, Runqlat.class, List.of("runqlat")),
            new Entry(SCHED, TaskSwitch.class, List.of("task_switch")),
            new Entry(STACKS, Profile.class, List.of("profile")),
            new Entry(STACKS, Offcputime.class, List.of("offcputime")),
            new Entry(STACKS, Stackcount.class, List.of("stackcount", "show_bt")),
            new Entry(MEMORY, Memleak.class, List.of("memleak")),
            new Entry(MEMORY, Kmemtrace.class, List.of("kmemtrace")),
            new Entry(IRQ, Hardirqs.class, List.of("hardirqs")),
            new Entry(IRQ, Softirqs.class, List.of("softirqs")),
            new Entry(BLOCK, Biolatency.class, List.of("biolatency")),
            new Entry(NET, Tcpconnect.class, List.of("tcpconnect")),
            new Entry(NET, Solisten.class, List.of("solisten")),
            new Entry(NET, Tcpstates.class, List.of("tcpstates")),
            new Entry(NET, Tcplife.class, List.of("tcplife")),
            new Entry(PACKETS, Xdpfilter.class, List.of("xdpfilter")),
            new Entry(PACKETS, Ddosdetect.class, List.of("ddosdetect")),
            new Entry(JVM, Javagc.class, List.of("javagc")),
            new Entry(JVM, Javathreads.class, List.of("javathreads")),
            new Entry(JVM, Javaclassload.class, List.of("javaclassload")),
            new Entry(JVM, Javajit.class, List.of("javajit")),
            new Entry(JVM, Javamonitor.class, List.of("javamonitor")),
            new Entry(JVM, Javaobjnew.class, List.of("javaobjnew")),
            new Entry(JVM, Javacalls.class, List.of("javacalls")),
            new Entry(JVM, Javaflow.class, List.of("javaflow")),
            new Entry(JVM, Javastat.class, List.of("javastat")),
            new Entry(ANY, Trace.class, List.of("trace")),
            new Entry(ANY, Argdist.class, List.of("argdist")));

    /**
     * A group of tools.
     *
     * @param title what they observe, e.g. "Files"
     * @param tools their command classes (picocli {@code @Command}s extending {@link Tool})
     */
    public record Group(String title, List<Class<? extends Tool>> tools) {
        public Group {
            tools = List.copyOf(tools);
        }
    }

    /** Every tool, in the order {@code --help} lists them. */
    public static List<Entry> all() {
        return TABLE;
    }

    /** The groups, in the order {@code --help} lists them. */
    public static List<Group> groups() {
        Map<String, List<Class<? extends Tool>>> byGroup = new LinkedHashMap<>();
        for (Entry e : TABLE) byGroup.computeIfAbsent(e.group(), g -> new ArrayList<>()).add(e.tool());
        return byGroup.entrySet().stream().map(g -> new Group(g.getKey(), g.getValue())).toList();
    }

    /** The tool whose command name or alias is {@code name}. */
    public static Optional<Class<? extends Tool>> named(String name) {
        for (Entry e : TABLE) if (e.names().contains(name)) return Optional.of(e.tool());
        return Optional.empty();
    }
}
