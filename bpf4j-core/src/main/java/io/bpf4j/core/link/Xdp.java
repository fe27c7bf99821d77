package io.bpf4j.core.link;

import io.bpf4j.core.Program;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.internal.Bpf;
import io.bpf4j.core.object.AttachType;
import io.bpf4j.core.object.ProgramType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Attaches XDP programs to network interfaces through BPF links (BPF_LINK_CREATE, kernel 5.9+). */
public final class Xdp {
    /** Where the XDP program runs. */
    public enum Mode {
        /** Let the kernel choose: the driver's hook when it has one, else generic. */
        DEFAULT(0),
        /** Generic XDP (XDP_FLAGS_SKB_MODE), after the skb is built: works on every interface (lo, veth). */
        GENERIC(1 << 1),
        /** Native XDP in the driver (XDP_FLAGS_DRV_MODE). */
        DRIVER(1 << 2),
        /** Offloaded to the NIC (XDP_FLAGS_HW_MODE). */
        OFFLOAD(1 << 3);

        final int flags;

        Mode(int flags) {
            this.flags = flags;
        }
    }

    private Xdp() {
    }

    /** Attaches {@code program} to the interface named {@code ifname} in the given mode. */
    public static Link attach(Program program, String ifname, Mode mode) {
        return attach(program, ifindex(ifname), mode);
    }

    /** Attaches {@code program} to the interface with index {@code ifindex} in the given mode. */
    public static Link attach(Program program, int ifindex, Mode mode) {
        if (program.type() != ProgramType.XDP) {
            throw new IllegalArgumentException("program '" + program.name() + "' is " + program.type().displayName()
                    + ", not xdp");
        }
        String what = "xdp '" + program.name() + "' on ifindex " + ifindex + " (" + mode.name().toLowerCase() + ")";
        return new Link(Bpf.linkCreate(program.fd(), ifindex, AttachType.XDP.code(), mode.flags, what), what);
    }

    /** The index of the interface named {@code ifname}, from /sys/class/net. */
    public static int ifindex(String ifname) {
        try {
            return Integer.parseInt(Files.readString(Path.of("/sys/class/net", ifname, "ifindex")).strip());
        } catch (IOException | NumberFormatException e) {
            throw new BpfException("if_nametoindex", 0, "no network interface named '" + ifname
                    + "' in this network namespace (see `ip link`)", e);
        }
    }
}
