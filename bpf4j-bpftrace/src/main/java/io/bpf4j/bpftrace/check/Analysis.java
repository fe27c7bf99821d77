package io.bpf4j.bpftrace.check;

import io.bpf4j.bpftrace.ast.Expr;

import java.util.List;
import java.util.Map;

/**
 * What the checker learnt about a program: every expression's type, every map's shape and where each probe runs.
 *
 * @param probes      the probe blocks with their targets, in source order
 * @param maps        the maps by name, sorted by name (the order bpftrace prints them at exit)
 * @param types       the type of every expression (identity map: equal expressions at two places are two keys)
 * @param positionals the positional parameters $1, $2… as given
 * @param ctypes      the C types the program names (its struct definitions, the kernel's through BTF)
 */
public record Analysis(List<CheckedProbe> probes, Map<String, MapInfo> maps, Map<Expr, Type> types,
                       List<String> positionals, CTypes ctypes) {
    /** The type of {@code e}. */
    public Type type(Expr e) {
        Type t = types.get(e);
        if (t == null) throw new IllegalStateException("no type for " + e);
        return t;
    }

    /** The value of {@code $index} as the program sees it: the argument, or empty when it was not given. */
    public String positional(int index) {
        return index >= 1 && index <= positionals.size() ? positionals.get(index - 1) : "";
    }
}
