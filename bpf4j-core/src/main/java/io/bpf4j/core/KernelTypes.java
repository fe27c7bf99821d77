package io.bpf4j.core;

import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.btf.BtfKind;
import io.bpf4j.core.btf.KernelBtf;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.internal.Bpf;
import io.bpf4j.core.kernel.LoadedBtf;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds named types in the running kernel's BTF as libbpf does for attach targets and {@code __ksym} externs:
 * vmlinux first, then each module with BTF. A module's BTF is referred to by an fd of its kernel BTF object, which
 * is opened once per process and kept open (libbpf keeps them for the life of the object; there are a few dozen at
 * most).
 */
final class KernelTypes {
    /** Open module BTF objects by module name; never closed. */
    private static final Map<String, LoadedBtf> MODULE_FDS = new ConcurrentHashMap<>();

    private KernelTypes() {
    }

    /**
     * A type found in kernel BTF.
     *
     * @param id     its id in {@link #btf()}
     * @param module "" for vmlinux, else the module's name
     * @param btf    the BTF it is in (a module's is split on top of vmlinux)
     */
    record Found(int id, String module, Btf btf) {
        /** 0 for vmlinux, else an fd of the module's kernel BTF object (what attach_btf_obj_fd and ld_imm64 take). */
        int objFd() {
            return module.isEmpty() ? 0 : moduleFd(module);
        }

        /** "vmlinux" or "module 'x'". */
        String where() {
            return module.isEmpty() ? "vmlinux" : "module '" + module + "'";
        }
    }

    /**
     * The type named {@code name} of {@code kind}: in vmlinux, then in the modules (only in {@code module} when it is
     * not empty, as in {@code fentry/module:function}).
     */
    static Optional<Found> find(String name, BtfKind kind, String module) {
        if (module.isEmpty()) {
            OptionalInt id = KernelBtf.vmlinux().typeId(name, kind);
            if (id.isPresent()) return Optional.of(new Found(id.getAsInt(), "", KernelBtf.vmlinux()));
        }
        List<String> modules = module.isEmpty() ? KernelBtf.modules() : List.of(module);
        for (String m : modules) {
            Btf btf;
            try {
                btf = KernelBtf.module(m);
            } catch (RuntimeException e) {
                continue; // unreadable or vanished module
            }
            for (int id : btf.typeIds(name)) {
                if (id >= btf.firstTypeId() && btf.type(id).kind() == kind) return Optional.of(new Found(id, m, btf));
            }
        }
        return Optional.empty();
    }

    /** An fd of module {@code module}'s kernel BTF object, found by walking the kernel's BTF ids. */
    static int moduleFd(String module) {
        return MODULE_FDS.computeIfAbsent(module, KernelTypes::openModule).fd();
    }

    private static LoadedBtf openModule(String module) {
        for (int id : KernelObjects.btfIds()) {
            LoadedBtf btf;
            try {
                btf = LoadedBtf.fromId(id);
            } catch (BpfException e) {
                continue; // gone meanwhile
            }
            if (isKernelBtfNamed(btf.fd(), module)) return btf;
            btf.close();
        }
        throw new BpfException("BPF_BTF_GET_FD_BY_ID", 0, "module '" + module + "' has BTF in "
                + KernelBtf.SYSFS + " but no kernel BTF object of that name was found (was it unloaded?)");
    }

    private static boolean isKernelBtfNamed(int fd, String name) {
        Bpf.BtfInfo info = Bpf.btfInfo(fd);
        return info.kernelBtf() && info.name().equals(name);
    }
}
