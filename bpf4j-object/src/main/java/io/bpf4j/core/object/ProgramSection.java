package io.bpf4j.core.object;


import java.util.List;
import java.util.Optional;

/**
 * What a BPF program's ELF section name ({@code SEC("…")} in C) says about it, following libbpf's conventions
 * (see the kernel's Documentation/bpf/libbpf/program_types.rst): the program type, the attach type the verifier
 * should expect, the attach target written after the first {@code /}, whether it is sleepable, and whether it
 * loads automatically ({@code SEC("?…")} programs do not).
 *
 * <p>Names are matched as libbpf does: a table entry such as {@code xdp} must match exactly, while an entry
 * written {@code kprobe+} matches {@code kprobe} alone or {@code kprobe/<anything>} (never {@code kprobefoo}).
 *
 * @param sectionName        the section name as written, {@code ?} included
 * @param kind               the table entry that matched, without its {@code +}, e.g. {@code tp}, {@code lsm.s},
 *                           {@code cgroup/connect4}
 * @param type               the program type
 * @param expectedAttachType the expected attach type, when the entry names one
 * @param target             what follows {@code kind/} in the name: {@code syscalls/sys_enter_openat} for
 *                           {@code tracepoint/syscalls/sys_enter_openat}, the function for {@code kprobe/…},
 *                           {@code binary:function} for uprobes; empty when there is none
 * @param flags              BPF_F_* program load flags the entry implies ({@link #F_SLEEPABLE},
 *                           {@link #F_XDP_HAS_FRAGS})
 * @param autoload           false for {@code SEC("?…")}: the program is parsed but not loaded unless asked for
 * @param attachBtf          true when the target is a kernel BTF id the loader must look up (fentry, fexit,
 *                           fmod_ret, tp_btf, lsm, iter, freplace)
 */
public record ProgramSection(String sectionName, String kind, ProgramType type, Optional<AttachType> expectedAttachType,
                             String target, int flags, boolean autoload, boolean attachBtf) {

    /** BPF_F_SLEEPABLE: the program may sleep ({@code .s} entries, {@code syscall}). */
    public static final int F_SLEEPABLE = 1 << 4;
    /** BPF_F_XDP_HAS_FRAGS: the XDP program handles multi-buffer packets ({@code xdp.frags}). */
    public static final int F_XDP_HAS_FRAGS = 1 << 5;

    /** True when the program may sleep. */
    public boolean sleepable() {
        return (flags & F_SLEEPABLE) != 0;
    }

    /**
     * What section {@code name} says about its programs, or empty when libbpf would not recognise it (such a
     * section's programs cannot be loaded without being told their type).
     */
    public static Optional<ProgramSection> of(String name) {
        boolean autoload = true;
        String s = name;
        if (s.startsWith("?")) {
            autoload = false;
            s = s.substring(1);
        }
        for (SectionTable.Entry e : SectionTable.ENTRIES) {
            String target;
            if (e.prefix()) {
                if (s.equals(e.name())) target = "";
                else if (s.startsWith(e.name()) && s.charAt(e.name().length()) == '/')
                    target = s.substring(e.name().length() + 1);
                else continue;
            } else if (s.equals(e.name())) {
                target = "";
            } else {
                continue;
            }
            return Optional.of(new ProgramSection(name, e.name(), e.type(), Optional.ofNullable(e.attach()),
                    target, e.flags(), autoload, e.attachBtf()));
        }
        return Optional.empty();
    }

    /** Every section name kind bpf4j recognises, in matching order, {@code +} marking prefix entries. */
    public static List<String> knownKinds() {
        return SectionTable.ENTRIES.stream().map(e -> e.prefix() ? e.name() + "+" : e.name()).toList();
    }
}
