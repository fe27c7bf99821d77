package io.bpf4j.tools;

import java.util.List;

/**
 * Every tool, grouped by what it observes: the {@code bpf4j} command registers them from here, and its
 * {@code --help} lists them in these groups. Each group's tools are listed by its package's {@code *Tools}
 * class.
 */
public final class Tools {
    private Tools() {
    }

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

    /** The groups, in the order {@code --help} lists them. */
    public static List<Group> groups() {
        return List.of(
                new Group("Files and the page cache", io.bpf4j.tools.fs.FsTools.TOOLS),
                new Group("Processes", io.bpf4j.tools.proc.ProcTools.TOOLS),
                new Group("System calls", io.bpf4j.tools.syscall.SyscallTools.TOOLS),
                new Group("Scheduler and CPU", io.bpf4j.tools.sched.SchedTools.TOOLS),
                new Group("Stacks and profiles", io.bpf4j.tools.cpu.CpuTools.TOOLS),
                new Group("Memory", io.bpf4j.tools.mem.MemTools.TOOLS),
                new Group("Interrupts", io.bpf4j.tools.irq.IrqTools.TOOLS),
                new Group("Block I/O", io.bpf4j.tools.block.BlockTools.TOOLS),
                new Group("Network", io.bpf4j.tools.net.NetTools.TOOLS),
                new Group("Packets (XDP)", io.bpf4j.tools.packet.PacketTools.TOOLS),
                new Group("The JVM", io.bpf4j.tools.jvm.JvmTools.TOOLS),
                new Group("Any probe", io.bpf4j.tools.trace.TraceTools.TOOLS));
    }
}
