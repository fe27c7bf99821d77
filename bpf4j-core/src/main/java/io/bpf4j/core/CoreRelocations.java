package io.bpf4j.core;

import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.btf.BtfExt;
import io.bpf4j.core.btf.CoreRelocator;
import io.bpf4j.core.object.ObjectProgram;
import io.bpf4j.core.object.ObjectSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The CO-RE relocations of an object being loaded: applies them to each program's linked instructions against the
 * running kernel's BTF (records are per ELF section; {@link ObjectProgram#slotOf} maps them to the linked program,
 * subprograms included), and explains a verifier rejection caused by a poisoned relocation. One per load, so that
 * candidate types are looked up once per local type, as libbpf does.
 */
final class CoreRelocations {
    private static final CoreRelocations NONE = new CoreRelocations(null, null);

    private final BtfExt ext;
    private final CoreRelocator relocator;

    private CoreRelocations(BtfExt ext, CoreRelocator relocator) {
        this.ext = ext;
        this.relocator = relocator;
    }

    /**
     * The relocations of {@code spec}; none when it has no {@code .BTF.ext} CO-RE records.
     *
     * @throws io.bpf4j.core.btf.BtfException when the object's BTF or .BTF.ext is malformed and it has CO-RE
     *                                        records that cannot be read
     */
    static CoreRelocations of(ObjectSpec spec) {
        byte[] extRaw = spec.btfExt();
        if (extRaw.length == 0) return NONE;
        Btf btf = Btf.parse(spec.btf());
        BtfExt ext = BtfExt.parse(extRaw, btf);
        if (ext.coreRelocations().isEmpty()) return NONE;
        return new CoreRelocations(ext, CoreRelocator.forKernel(btf));
    }

    /** The relocation sites that fall into {@code p}'s linked code. */
    List<CoreRelocator.Site> sites(ObjectProgram p) {
        List<CoreRelocator.Site> sites = new ArrayList<>();
        if (ext == null) return sites;
        for (Map.Entry<String, List<BtfExt.CoreRelocation>> e : ext.coreRelocations().entrySet()) {
            List<BtfExt.CoreRelocation> records = e.getValue();
            for (int i = 0; i < records.size(); i++) {
                OptionalInt slot = p.slotOf(e.getKey(), records.get(i).insnOffset());
                if (slot.isPresent()) sites.add(new CoreRelocator.Site(slot.getAsInt(), e.getKey(), i, records.get(i)));
            }
        }
        return sites;
    }

    /** {@code p} with its CO-RE relocations applied, and the outcome of each. */
    CoreRelocator.Result apply(ObjectProgram p) {
        if (relocator == null) return new CoreRelocator.Result(p.instructions(), List.of());
        List<CoreRelocator.Site> sites = sites(p);
        if (sites.isEmpty()) return new CoreRelocator.Result(p.instructions(), List.of());
        return relocator.relocate(p.name(), p.instructions(), sites);
    }

    /**
     * {@code e} with the poisoned relocations of the program appended to its message when the verifier rejected a
     * poisoned instruction ({@code invalid func unknown#195896080}); {@code e} itself otherwise.
     */
    static VerifierException explain(VerifierException e, CoreRelocator.Result result) {
        List<CoreRelocator.Outcome> poisoned = result.outcomes().stream().filter(CoreRelocator.Outcome::poisoned)
                .toList();
        if (poisoned.isEmpty()) return e;
        String log = e.log();
        boolean relevant = log.isEmpty() || log.contains("unknown#" + CoreRelocator.POISON_HELPER_ID)
                || log.contains(Integer.toString(CoreRelocator.POISON_HELPER_ID));
        if (!relevant) return e;
        int failing = Program.failingInstruction(log);
        List<String> reasons = new ArrayList<>();
        for (CoreRelocator.Outcome o : poisoned) if (o.site().slot() == failing) reasons.add(o.poisonReason());
        if (reasons.isEmpty()) reasons = poisoned.stream().map(CoreRelocator.Outcome::poisonReason).toList();
        String msg = e.getMessage() + "\nthe verifier reached an instruction a failed CO-RE relocation replaced with an "
                + "invalid call (0xbad2310):\n  " + String.join("\n  ", reasons)
                + "\n  guard the access with bpf_core_field_exists() / bpf_core_type_exists() / "
                + "bpf_core_enum_value_exists(), or use a type the running kernel has";
        VerifierException out = new VerifierException(e.programName(), e.errnoCode(), log, msg);
        out.setStackTrace(e.getStackTrace());
        return out;
    }
}
