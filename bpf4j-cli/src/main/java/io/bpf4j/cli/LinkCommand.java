package io.bpf4j.cli;

import io.bpf4j.core.KernelObjects;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.error.Errno;
import io.bpf4j.core.link.Link;
import io.bpf4j.core.link.LinkInfo;
import io.bpf4j.output.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code bpf4j link list}: the kernel's BPF links, as {@code bpftool link list}. */
@Command(name = "link", mixinStandardHelpOptions = true,
        description = "List the BPF links (program attachments) in the kernel (as bpftool link).",
        subcommands = LinkCommand.ListLinks.class)
public final class LinkCommand implements Runnable {
    /** {@code enum bpf_link_type} names, by number, as bpftool prints them. */
    static final List<String> TYPES = List.of("unspec", "raw_tracepoint", "tracing", "cgroup", "iter", "netns",
            "xdp", "perf_event", "kprobe_multi", "struct_ops", "netfilter", "tcx", "uprobe_multi", "netkit",
            "sockmap");

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static String typeName(int type) {
        return type >= 0 && type < TYPES.size() ? TYPES.get(type) : "type " + type;
    }

    /** {@code link list}. */
    @Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true,
            description = "List every link: id, type and the program it attaches.")
    static final class ListLinks implements Runnable {
        @Spec
        CommandSpec spec;

        @Option(names = "--json", description = "One JSON object per link.")
        boolean json;

        @Override
        public void run() {
            PrintWriter out = spec.commandLine().getOut();
            for (int id : KernelObjects.linkIds()) {
                LinkInfo info;
                try (Link l = Link.fromId(id)) {
                    info = l.info();
                } catch (BpfException e) {
                    if (e.errnoCode() == Errno.ENOENT.code()) continue; // gone since the listing
                    throw e;
                }
                if (json) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("id", info.id());
                    m.put("type", typeName(info.type()));
                    m.put("prog_id", info.programId());
                    out.println(Json.write(m));
                } else {
                    out.printf("%d: %s  prog %d%n", info.id(), typeName(info.type()), info.programId());
                }
            }
        }
    }
}
