package io.bpf4j.core.link;

import io.bpf4j.core.BpfMap;
import io.bpf4j.core.KernelObjects;
import io.bpf4j.core.Program;
import io.bpf4j.core.asm.Assembler;
import io.bpf4j.core.asm.Register;
import io.bpf4j.core.kernel.Host;
import io.bpf4j.core.kernel.Probes;
import io.bpf4j.core.object.AttachType;
import io.bpf4j.core.object.MapSpec;
import io.bpf4j.core.object.MapType;
import io.bpf4j.core.object.ProgramSpec;
import io.bpf4j.core.object.ProgramType;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Attaches one program to every network hook this kernel offers on lo (XDP, tcx ingress and egress, a netlink
 * cls_bpf filter, a socket filter) and to a fresh cgroup, closes everything, and checks that {@code bpftool link},
 * {@code bpftool net}, {@code ip link}, {@code tc} and the kernel's program and link lists agree with what they said
 * before. The programs are closed last while the socket, interface and cgroup stay alive: a program id that stays
 * in the list would mean some hook still holds it.
 */
@KernelTest
class NothingLeftAttachedTest {
    private static final Pattern ID = Pattern.compile("\"id\":(\\d+)");

    @BeforeAll
    static void tools() {
        assumeTrue(Host.isRoot(), "attaching needs root");
        assumeTrue(Commands.have("bpftool") && Commands.have("ip") && Commands.have("tc"),
                "needs bpftool, ip and tc");
    }

    record Snapshot(String net, String link, String qdisc, String filters, Set<Integer> bpftoolLinks,
                    Set<Integer> bpftoolProgs) {
    }

    static Snapshot snapshot() {
        return new Snapshot(Commands.check("bpftool", "net", "show", "dev", "lo"),
                Commands.check("ip", "-d", "link", "show", "lo"),
                Commands.check("tc", "qdisc", "show", "dev", "lo"),
                Commands.check("tc", "filter", "show", "dev", "lo", "ingress")
                        + Commands.check("tc", "filter", "show", "dev", "lo", "egress"),
                ids(Commands.check("bpftool", "-j", "link", "show")),
                ids(Commands.check("bpftool", "-j", "prog", "show")));
    }

    static Set<Integer> ids(String json) {
        Set<Integer> ids = new HashSet<>();
        Matcher m = ID.matcher(json);
        while (m.find()) ids.add(Integer.parseInt(m.group(1)));
        return ids;
    }

    private static Program load(String name, ProgramType type, int r0, AttachType expected) {
        ProgramSpec spec = ProgramSpec.of(name, type, new Assembler().mov64(Register.R0, r0).exit().build());
        return Program.load(expected == null ? spec : spec.withExpectedAttachType(expected));
    }

    @Test
    void closingEveryAttachmentLeavesNothingBehind() throws Exception {
        Snapshot before = snapshot();
        assumeTrue(!before.link().contains("xdp"), "lo already carries an XDP program");
        assumeTrue(!before.qdisc().contains("clsact"), "lo already has a clsact qdisc");
        Path cg = Cgroup.mountPoint().map(p -> p.resolve("bpf4j-test-" + Commands.randomSuffix())).orElse(null);
        if (cg != null) Files.createDirectory(cg);
        List<Integer> progIds = new ArrayList<>(), linkIds = new ArrayList<>();
        try (BpfMap unused = BpfMap.create(MapSpec.builder(MapType.ARRAY).name("unused").keySize(4).valueSize(8)
                .maxEntries(1).build());
             SocketFilter.PacketSocket raw = SocketFilter.PacketSocket.open("lo")) {
            List<Program> progs = new ArrayList<>();
            List<AutoCloseable> attachments = new ArrayList<>();
            try {
                Program xdp = load("left_xdp", ProgramType.XDP, 2, null);
                Program tc = load("left_tc", ProgramType.SCHED_CLS, 0, null);
                Program sf = load("left_sf", ProgramType.SOCKET_FILTER, 0, null);
                Program skb = load("left_cg", ProgramType.CGROUP_SKB, 1, AttachType.CGROUP_INET_EGRESS);
                progs.addAll(List.of(xdp, tc, sf, skb));
                for (Program p : progs) progIds.add(p.info().id());

                Link xdpLink = Xdp.attach(xdp, "lo", Xdp.Mode.GENERIC);
                attachments.add(xdpLink);
                linkIds.add(xdpLink.info().id());
                if (Probes.tcx().available()) {
                    for (Tc.Direction d : Tc.Direction.values()) {
                        Tc t = Tc.attach(tc, "lo", d);
                        attachments.add(t);
                        linkIds.add(t.link().orElseThrow().info().id());
                    }
                }
                Tc.forceNetlink = true;
                try {
                    attachments.add(Tc.attach(tc, "lo", Tc.Direction.INGRESS));
                } finally {
                    Tc.forceNetlink = false;
                }
                attachments.add(SocketFilter.attach(sf, raw.fd()));
                if (cg != null) {
                    Link cgLink = Cgroup.attach(skb, cg, AttachType.CGROUP_INET_EGRESS);
                    attachments.add(cgLink);
                    linkIds.add(cgLink.info().id());
                    assertThat(Commands.check("bpftool", "cgroup", "show", cg.toString())).contains("left_cg");
                }

                // While attached, every tool sees it.
                Snapshot during = snapshot();
                assertThat(during.link()).contains("xdpgeneric");
                assertThat(during.net()).contains("generic id " + progIds.get(0)).contains("left_tc");
                assertThat(during.qdisc()).contains("clsact");
                assertThat(during.filters()).contains("left_tc").contains("direct-action");
                assertThat(during.bpftoolLinks()).containsAll(linkIds);
                assertThat(KernelObjects.linkIds()).containsAll(linkIds);
                assertThat(during.bpftoolProgs()).containsAll(progIds);
            } finally {
                for (AutoCloseable a : attachments.reversed()) a.close();
            }

            Snapshot after = snapshot();
            assertThat(after.net()).isEqualTo(before.net());
            assertThat(after.link()).isEqualTo(before.link()).doesNotContain("xdp");
            assertThat(after.qdisc()).isEqualTo(before.qdisc());
            assertThat(after.filters()).isEqualTo(before.filters());
            assertThat(after.bpftoolLinks()).doesNotContainAnyElementsOf(linkIds);
            assertThat(KernelObjects.linkIds()).doesNotContainAnyElementsOf(linkIds);
            if (cg != null) {
                assertThat(Commands.check("bpftool", "cgroup", "show", cg.toString())).doesNotContain("left_cg");
            }

            // Close the programs while the socket, lo and the cgroup live on: nothing may still hold them.
            for (Program p : progs) p.close();
            assertThat(KernelObjects.programIds()).doesNotContainAnyElementsOf(progIds);
            assertThat(ids(Commands.check("bpftool", "-j", "prog", "show"))).doesNotContainAnyElementsOf(progIds);
        } finally {
            if (cg != null) Files.deleteIfExists(cg);
        }
    }
}
