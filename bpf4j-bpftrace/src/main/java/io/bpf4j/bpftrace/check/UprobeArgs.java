package io.bpf4j.bpftrace.check;

import io.bpf4j.core.dwarf.Dwarf;
import io.bpf4j.core.elf.ElfFile;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a binary's DWARF says about its functions and types, as the language sees them: the arguments of a uprobe's
 * function by name ({@code args->NAME}, listed by {@code -lv}) and the structs a program may cast to
 * ({@code (struct Foo *)arg0}). Binaries without debug information have neither.
 */
public final class UprobeArgs {
    /** The first six integer arguments are passed in registers (x86-64 System V), where a uprobe reads them. */
    public static final int REGISTER_ARGS = 6;
    private static final Map<Path, Optional<Dwarf>> DWARF = new ConcurrentHashMap<>();

    private UprobeArgs() {
    }

    /** Argument {@code index} (0-based) of a function: its name, its type, and its C spelling as bpftrace's. */
    public record Arg(String name, int index, Type type, String cType) {
    }

    /** The DWARF of {@code binary}, read once; empty when it has none or cannot be read. */
    public static Optional<Dwarf> dwarf(Path binary) {
        return DWARF.computeIfAbsent(binary.toAbsolutePath().normalize(), b -> {
            try {
                return Dwarf.of(ElfFile.read(b));
            } catch (RuntimeException unreadable) {
                return Optional.empty();
            }
        });
    }

    /** The arguments of {@code function} in {@code binary}; empty when its DWARF does not describe it. */
    public static Optional<List<Arg>> of(Path binary, String function) {
        Optional<Dwarf> d = dwarf(binary);
        if (d.isEmpty()) return Optional.empty();
        Optional<Dwarf.Function> f = d.get().function(function);
        if (f.isEmpty()) return Optional.empty();
        List<Arg> out = new ArrayList<>();
        List<Dwarf.Parameter> ps = f.get().parameters();
        for (int i = 0; i < ps.size(); i++) {
            Dwarf.Parameter p = ps.get(i);
            out.add(new Arg(p.name(), i, type(d.get(), p.type()), cName(d.get(), p.type())));
        }
        return Optional.of(out);
    }

    /** The struct or union {@code name} ({@code struct Foo}) as {@code binary}'s DWARF defines it. */
    public static Optional<Type.Record> record(Path binary, String name) {
        Optional<Dwarf> d = dwarf(binary);
        boolean union = name.startsWith("union ");
        if (d.isEmpty() || !union && !name.startsWith("struct ")) return Optional.empty();
        return d.get().struct(name.substring(name.indexOf(' ') + 1), union)
                .map(offset -> (Type.Record) type(d.get(), offset));
    }

    /** A DWARF type as a type of the language: pointers to named structs stay names, resolved when followed. */
    private static Type type(Dwarf d, long offset) {
        if (offset < 0) return new Type.Int(1, false);
        return switch (d.type(offset)) {
            case Dwarf.Type.Base b -> new Type.Int(Math.max(1, Math.min(b.size(), 8)), b.signed());
            case Dwarf.Type.Enum e -> new Type.Int(Math.max(1, Math.min(e.size(), 8)), true);
            case Dwarf.Type.Pointer p -> new Type.Ptr(pointee(d, p.target()));
            case Dwarf.Type.Array a -> new Type.Array(type(d, a.element()), Math.max(0, a.count()));
            case Dwarf.Type.Typedef t -> type(d, t.target());
            case Dwarf.Type.Qualified q -> type(d, q.target());
            case Dwarf.Type.Struct s -> {
                List<Type.Member> members = new ArrayList<>();
                for (Dwarf.Member m : s.members()) {
                    Type mt = type(d, m.type());
                    members.add(m.bitSize() == 0 ? new Type.Member(m.name(), mt, m.offset(), 0, 0)
                            : new Type.Member(m.name(), mt, 0, m.offset() * 8 + m.bitOffset(), m.bitSize()));
                }
                yield new Type.Record(s.name().isEmpty() ? "" : (s.union() ? "union " : "struct ") + s.name(),
                        s.size(), members);
            }
            case Dwarf.Type.Subroutine f -> Type.Int.U64;
        };
    }

    private static Type pointee(Dwarf d, long offset) {
        long at = offset;
        while (at >= 0) {
            Dwarf.Type t = d.type(at);
            if (t instanceof Dwarf.Type.Typedef td) at = td.target();
            else if (t instanceof Dwarf.Type.Qualified q) at = q.target();
            else break;
        }
        if (at < 0 || d.type(at) instanceof Dwarf.Type.Subroutine) return new Type.Int(1, false);
        if (d.type(at) instanceof Dwarf.Type.Struct s && !s.name().isEmpty()) {
            return new Type.Named((s.union() ? "union " : "struct ") + s.name());
        }
        return type(d, at);
    }

    /** A type as bpftrace spells it in listings: {@code int*}, {@code struct Foo*}, {@code char**}. */
    private static String cName(Dwarf d, long offset) {
        if (offset < 0) return "void";
        return switch (d.type(offset)) {
            case Dwarf.Type.Base b -> b.name();
            case Dwarf.Type.Enum e -> "enum " + e.name();
            case Dwarf.Type.Pointer p -> cName(d, p.target()) + "*";
            case Dwarf.Type.Array a -> cName(d, a.element()) + "[" + Math.max(0, a.count()) + "]";
            case Dwarf.Type.Typedef t -> t.name();
            case Dwarf.Type.Qualified q -> q.qualifier() + " " + cName(d, q.target());
            case Dwarf.Type.Struct s -> (s.union() ? "union " : "struct ") + s.name();
            case Dwarf.Type.Subroutine f -> "void (*)()";
        };
    }
}
