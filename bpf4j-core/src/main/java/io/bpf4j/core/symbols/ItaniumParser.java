package io.bpf4j.core.symbols;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A recursive-descent parser of the Itanium C++ ABI's {@code <mangled-name>} grammar
 * (https://itanium-cxx-abi.github.io/cxx-abi/abi.html#mangling) into a small tree of {@link Node}s, printed the way
 * GNU {@code c++filt} prints names. One instance parses one name; {@link #demangle} is the entry point.
 *
 * <p>Where c++filt's text is not the only reading of the grammar, c++filt's is the one printed: the standard
 * library's abbreviations spelled out ({@code Ss} as {@code std::basic_string<char, …>}), {@code A<B<int> >},
 * operands in parentheses ({@code (1)+(2)}), template parameters looked up in the template arguments of the
 * function being printed, and the handling of commas around empty parameter packs.
 *
 * <p>Failures (a name outside the grammar, a substitution or template parameter that refers to nothing) throw
 * {@link Fail}; {@link Demangler} turns any failure into "give the name back as it was".
 */
final class ItaniumParser {
    /** Thrown when the input is not a name this parser can demangle. */
    static final class Fail extends RuntimeException {
        Fail() {
            super(null, null, false, false);
        }
    }

    private final String in;
    private int pos;
    /** Substitution candidates, in the order the ABI numbers them (S_, S0_, S1_…). */
    private final List<Node> subs = new ArrayList<>();
    /** The template arguments T_, T0_… refer to: those of the function whose encoding is being read. */
    private List<Node> templateArgs;
    /** Template parameters seen before the arguments they refer to (in a conversion operator's type). */
    private final List<TParam> pending = new ArrayList<>();
    /** Inside a lambda's signature, where template parameters are the lambda's own {@code auto} parameters. */
    private int inLambda;

    /** Read {@code sr} names GCC's older way ({@code sr <type> <name>}); see {@link #unresolvedName}. */
    private final boolean olderUnresolvedNames;
    /** Whether an {@code sr} name was read the ABI's way where GCC's older way could have been meant. */
    private boolean ambiguousUnresolvedName;

    private ItaniumParser(String in, boolean olderUnresolvedNames) {
        this.in = in;
        this.olderUnresolvedNames = olderUnresolvedNames;
    }

    /** The demangled text of {@code name}, or {@code null} when it is not a name this parser understands. */
    static String demangle(String name) {
        ItaniumParser p = new ItaniumParser(name, false);
        String d = p.parse();
        if (d == null && p.ambiguousUnresolvedName) d = new ItaniumParser(name, true).parse();
        return d;
    }

    private String parse() {
        try {
            Node n = mangledName();
            P out = new P();
            n.print(out);
            return out.sb.toString();
        } catch (Fail f) {
            return null;
        }
    }

    private Node mangledName() {
        if (in.startsWith("_GLOBAL_") && in.length() > 10 && ".$_".indexOf(in.charAt(8)) >= 0
                && (in.charAt(9) == 'I' || in.charAt(9) == 'D') && in.charAt(10) == '_') {
            // GCC's static initialization/finalization functions of a translation unit
            String what = in.charAt(9) == 'I' ? "global constructors keyed to " : "global destructors keyed to ";
            String rest = in.substring(11);
            String d = rest.startsWith("_Z") ? demangle(rest) : null;
            return new Text(what + (d == null ? rest : d));
        }
        if (!in.startsWith("_Z")) throw new Fail();
        pos = 2;
        Node n = encoding();
        // clone suffixes: .cold, .part.N, .isra.N, .constprop.N, .lto_priv.N, .localalias…
        while (pos < in.length() && peek() == '.' && pos + 1 < in.length()
                && (isLower(in.charAt(pos + 1)) || in.charAt(pos + 1) == '_' || isDigit(in.charAt(pos + 1)))) {
            int start = pos;
            pos += 2;
            while (pos < in.length() && (isLower(peek()) || isDigit(peek()) || peek() == '_')) pos++;
            while (pos + 1 < in.length() && peek() == '.' && isDigit(in.charAt(pos + 1))) {
                pos += 2;
                while (pos < in.length() && isDigit(peek())) pos++;
            }
            n = new Clone(n, in.substring(start, pos));
        }
        if (pos != in.length()) throw new Fail();
        if (!pending.isEmpty()) throw new Fail();
        return n;
    }

    // ---------------------------------------------------------------- input

    private char peek() {
        return pos < in.length() ? in.charAt(pos) : 0;
    }

    private char peek(int ahead) {
        return pos + ahead < in.length() ? in.charAt(pos + ahead) : 0;
    }

    private boolean consume(char c) {
        if (peek() == c) {
            pos++;
            return true;
        }
        return false;
    }

    private boolean consume(String s) {
        if (in.startsWith(s, pos)) {
            pos += s.length();
            return true;
        }
        return false;
    }

    private void expect(char c) {
        if (!consume(c)) throw new Fail();
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isLower(char c) {
        return c >= 'a' && c <= 'z';
    }

    private boolean atEnd() {
        return pos >= in.length();
    }

    /** {@code <number> ::= [n] <decimal digits>}, as text with a leading minus for {@code n}. */
    private String number() {
        boolean negative = consume('n');
        int digits = pos;
        while (isDigit(peek())) pos++;
        if (pos == digits) throw new Fail();
        return (negative ? "-" : "") + in.substring(digits, pos);
    }

    private int nonNegative() {
        int start = pos;
        while (isDigit(peek())) pos++;
        if (pos == start || pos - start > 9) throw new Fail();
        return Integer.parseInt(in, start, pos, 10);
    }

    /** {@code [<seq-id>] _}: 0 for {@code _}, base-36 value plus one otherwise. */
    private int seqId() {
        if (consume('_')) return 0;
        int v = 0;
        int start = pos;
        while (true) {
            char c = peek();
            if (isDigit(c)) v = v * 36 + (c - '0');
            else if (c >= 'A' && c <= 'Z') v = v * 36 + (c - 'A' + 10);
            else break;
            if (v > 1 << 20) throw new Fail();
            pos++;
        }
        if (pos == start) throw new Fail();
        expect('_');
        return v + 1;
    }

    // ---------------------------------------------------------------- encodings and names

    /**
     * {@code <encoding> ::= <name> <bare-function-type> | <name> | <special-name>}. A function's parameters end
     * where the input does, at the {@code E} closing a local name or literal, or at a clone suffix.
     */
    private Node encoding() {
        char c = peek();
        if (c == 'T' || (c == 'G' && "VRAT".indexOf(peek(1)) >= 0)) return specialName();
        Node name = name(true);
        if (atEnd() || peek() == 'E' || peek() == '.') return name;
        Node ret = null;
        if (hasReturnType(name)) ret = type();
        List<Node> params = new ArrayList<>();
        while (!atEnd() && peek() != 'E' && peek() != '.') params.add(type());
        if (params.isEmpty()) throw new Fail();
        return new Function(name, ret, params, cvRefOf(name));
    }

    private static String cvRefOf(Node name) {
        if (name instanceof Local l) return cvRefOf(l.entity);
        return name instanceof Nested n ? n.cvRef : "";
    }

    /** Function templates' encodings begin with their return type, except constructors, destructors, conversions. */
    private static boolean hasReturnType(Node name) {
        Node last = name;
        if (last instanceof Local l) last = l.entity;
        if (last instanceof Nested n) last = n.name;
        if (!(last instanceof Template t)) return false;
        Node base = t.name;
        if (base instanceof Nested n) base = n.name;
        if (base instanceof Abi a) base = a.name;
        return !(base instanceof Ctor) && !(base instanceof Conversion);
    }

    private Node specialName() {
        if (consume("TV")) return new Special("vtable for ", type());
        if (consume("TT")) return new Special("VTT for ", type());
        if (consume("TI")) return new Special("typeinfo for ", type());
        if (consume("TS")) return new Special("typeinfo name for ", type());
        if (consume("TH")) return new Special("TLS init function for ", name(false));
        if (consume("TW")) return new Special("TLS wrapper function for ", name(false));
        if (consume("Th")) {
            callOffset('h');
            return new Special("non-virtual thunk to ", encoding());
        }
        if (consume("Tv")) {
            callOffset('v');
            return new Special("virtual thunk to ", encoding());
        }
        if (consume("Tc")) {
            callOffset(next());
            callOffset(next());
            return new Special("covariant return thunk to ", encoding());
        }
        if (consume("TC")) {
            Node derived = type();
            number();
            expect('_');
            Node base = type();
            return new ConstructionVtable(base, derived);
        }
        if (consume("GV")) return new Special("guard variable for ", name(false));
        if (consume("GR")) return new Special("reference temporary #0 for ", name(false));
        if (consume("GA")) return new Special("hidden alias for ", encoding());
        if (consume("GTt")) return new Special("transaction clone for ", encoding());
        if (consume("GTn")) return new Special("non-transaction clone for ", encoding());
        throw new Fail();
    }

    private char next() {
        if (atEnd()) throw new Fail();
        return in.charAt(pos++);
    }

    /** {@code h <nv-offset> _} or {@code v <offset> _ <virtual offset> _}, already past the letter for Th/Tv. */
    private void callOffset(char kind) {
        if (kind == 'h') {
            number();
            expect('_');
        } else if (kind == 'v') {
            number();
            expect('_');
            number();
            expect('_');
        } else {
            throw new Fail();
        }
    }

    /**
     * {@code <name>}: nested, local, unscoped (possibly a template). {@code tag}: this is the name of the encoding
     * being read, whose template arguments its parameters' {@code T_} refer to.
     */
    private Node name(boolean tag) {
        char c = peek();
        if (c == 'N') return nestedName(tag);
        if (c == 'Z') return localName(tag);
        Node n;
        if (c == 'S' && peek(1) != 't') {
            n = substitution();
            if (peek() != 'I') throw new Fail();
        } else {
            boolean std = consume("St");
            n = unqualifiedName(null);
            if (std) n = new Nested(new Text("std"), n, "");
            if (peek() == 'I') subs.add(n);
        }
        if (peek() == 'I') {
            List<Node> args = templateArgs();
            if (tag) tagTemplateArgs(args);
            n = new Template(n, args);
        }
        return n;
    }

    private void tagTemplateArgs(List<Node> args) {
        templateArgs = args;
        for (TParam t : pending) {
            if (t.index >= args.size()) throw new Fail();
            t.resolved = args.get(t.index);
        }
        pending.clear();
    }

    private Node localName(boolean tag) {
        expect('Z');
        Node enc = encoding();
        expect('E');
        Node entity;
        if (consume('s')) {
            entity = new Text("string literal");
            discriminator();
            return new Local(enc, entity);
        }
        if (consume('d')) {
            // an entity in a default argument: d [<number>] _, the arguments counted from the last
            int n = peek() == '_' ? 1 : nonNegative() + 2;
            expect('_');
            entity = name(tag);
            return new Local(enc, new Nested(new Text("{default arg#" + n + "}"), entity, cvRefOf(entity)));
        }
        entity = name(tag);
        discriminator();
        return new Local(enc, entity);
    }

    private void discriminator() {
        if (peek() != '_') return;
        if (peek(1) == '_') {
            pos += 2;
            nonNegative();
            expect('_');
        } else if (isDigit(peek(1))) {
            pos += 2;
        }
    }

    private Node nestedName(boolean tag) {
        expect('N');
        StringBuilder cv = new StringBuilder();
        cvQualifiers(cv);
        if (consume('R')) cv.append(" &");
        else if (consume('O')) cv.append(" &&");
        Node cur = null;
        while (!consume('E')) {
            char c = peek();
            Node component;
            if (c == 'S' && peek(1) == 't') {
                if (cur != null) throw new Fail();
                pos += 2;
                cur = new Text("std");
                continue;
            } else if (c == 'S') {
                if (cur != null) throw new Fail();
                cur = substitution();
                continue;
            } else if (c == 'I') {
                if (cur == null) throw new Fail();
                List<Node> args = templateArgs();
                if (tag) tagTemplateArgs(args);
                cur = new Template(cur, args);
            } else if (c == 'T') {
                if (cur != null) throw new Fail();
                cur = templateParam();
            } else if (c == 'D' && (peek(1) == 't' || peek(1) == 'T')) {
                if (cur != null) throw new Fail();
                cur = decltype();
            } else if (c == 'M') {
                // <data-member-prefix>: the member a closure initialises; it names nothing more
                pos++;
                if (cur == null) throw new Fail();
                continue;
            } else {
                component = unqualifiedName(cur);
                cur = cur == null ? component : new Nested(cur, component, "");
            }
            if (peek() != 'E') subs.add(cur);
        }
        if (cur == null) throw new Fail();
        if (cur instanceof Nested n) return new Nested(n.prefix, n.name, cv.toString());
        if (cv.isEmpty()) return cur;
        return new Nested(null, cur, cv.toString());
    }

    private void cvQualifiers(StringBuilder out) {
        // mangled r V K, printed const volatile restrict
        boolean r = consume('r'), v = consume('V'), k = consume('K');
        if (k) out.append(" const");
        if (v) out.append(" volatile");
        if (r) out.append(" restrict");
    }

    /** {@code <unqualified-name>}, with any ABI tags; {@code scope} names a constructor's or destructor's class. */
    private Node unqualifiedName(Node scope) {
        char c = peek();
        Node n;
        if (isDigit(c)) {
            n = sourceName();
        } else if (c == 'L' && isDigit(peek(1))) {
            pos++;
            n = sourceName();
            discriminator();
        } else if (c == 'U') {
            n = unnamedType();
        } else if (c == 'C' && (isDigit(peek(1)) || peek(1) == 'I')) {
            if (scope == null) throw new Fail();
            pos++;
            boolean inheriting = consume('I');
            char kind = next();
            if (kind < '1' || kind > '5') throw new Fail();
            if (inheriting) type();
            n = new Ctor(scope.baseName(), false);
        } else if (c == 'D' && (isDigit(peek(1)))) {
            if (scope == null) throw new Fail();
            pos++;
            char kind = next();
            if (kind != '0' && kind != '1' && kind != '2' && kind != '4' && kind != '5') throw new Fail();
            n = new Ctor(scope.baseName(), true);
        } else if (isLower(c)) {
            n = operatorName();
        } else {
            throw new Fail();
        }
        while (peek() == 'B') {
            pos++;
            n = new Abi(n, sourceName().text);
        }
        return n;
    }

    private Text sourceName() {
        int len = nonNegative();
        if (len == 0 || pos + len > in.length()) throw new Fail();
        String id = in.substring(pos, pos + len);
        pos += len;
        if (id.length() >= 10 && id.startsWith("_GLOBAL_") && ".$_".indexOf(id.charAt(8)) >= 0 && id.charAt(9) == 'N') {
            return new Text("(anonymous namespace)");
        }
        return new Text(id);
    }

    private Node unnamedType() {
        expect('U');
        if (consume('t')) {
            int n = peek() == '_' ? 1 : nonNegative() + 2;
            expect('_');
            return new Text("{unnamed type#" + n + "}");
        }
        if (consume('l')) {
            inLambda++;
            List<Node> params = new ArrayList<>();
            try {
                while (peek() != 'E') params.add(type());
            } finally {
                inLambda--;
            }
            expect('E');
            int n = peek() == '_' ? 1 : nonNegative() + 2;
            expect('_');
            P p = new P();
            p.sb.append("{lambda(");
            printParams(p, params);
            p.sb.append(")#").append(n).append('}');
            return new Text(p.sb.toString());
        }
        throw new Fail();
    }

    private static final Map<String, String> OPERATORS = new HashMap<>();
    /** Operators as expression nodes: text, and 1 (prefix), 2 (binary) or 3 operands. */
    private static final Map<String, Integer> ARITY = new HashMap<>();

    private static void op(String code, String text, int arity) {
        OPERATORS.put(code, text);
        ARITY.put(code, arity);
    }

    static {
        op("nw", "new", 0);
        op("na", "new[]", 0);
        op("dl", "delete", 1);
        op("da", "delete[]", 1);
        op("aw", "co_await", 1);
        op("ps", "+", 1);
        op("ng", "-", 1);
        op("ad", "&", 1);
        op("de", "*", 1);
        op("co", "~", 1);
        op("pl", "+", 2);
        op("mi", "-", 2);
        op("ml", "*", 2);
        op("dv", "/", 2);
        op("rm", "%", 2);
        op("an", "&", 2);
        op("or", "|", 2);
        op("eo", "^", 2);
        op("aS", "=", 2);
        op("pL", "+=", 2);
        op("mI", "-=", 2);
        op("mL", "*=", 2);
        op("dV", "/=", 2);
        op("rM", "%=", 2);
        op("aN", "&=", 2);
        op("oR", "|=", 2);
        op("eO", "^=", 2);
        op("ls", "<<", 2);
        op("rs", ">>", 2);
        op("lS", "<<=", 2);
        op("rS", ">>=", 2);
        op("eq", "==", 2);
        op("ne", "!=", 2);
        op("lt", "<", 2);
        op("gt", ">", 2);
        op("le", "<=", 2);
        op("ge", ">=", 2);
        op("ss", "<=>", 2);
        op("nt", "!", 1);
        op("aa", "&&", 2);
        op("oo", "||", 2);
        op("pp", "++", 1);
        op("mm", "--", 1);
        op("cm", ",", 2);
        op("pm", "->*", 2);
        op("pt", "->", 2);
        op("cl", "()", 0);
        op("ix", "[]", 2);
        op("qu", "?", 3);
        op("st", "sizeof ", 1);
        op("sz", "sizeof ", 1);
        op("at", "alignof ", 1);
        op("az", "alignof ", 1);
    }

    private Node operatorName() {
        if (consume("cv")) {
            Node t = type();
            return new Conversion(t);
        }
        if (consume("li")) return new Text("operator\"\" " + sourceName().text);
        if (peek() == 'v' && isDigit(peek(1))) {
            pos += 2;
            return new Text("operator " + sourceName().text);
        }
        if (pos + 2 > in.length()) throw new Fail();
        String code = in.substring(pos, pos + 2);
        String text = OPERATORS.get(code);
        if (text == null) throw new Fail();
        pos += 2;
        boolean word = Character.isLetter(text.charAt(0));
        return new Operator("operator" + (word ? " " : "") + text.strip());
    }

    // ---------------------------------------------------------------- substitutions and template parameters

    private Node substitution() {
        expect('S');
        char c = peek();
        String std = switch (c) {
            case 'a' -> "std::allocator";
            case 'b' -> "std::basic_string";
            case 's' -> "std::basic_string<char, std::char_traits<char>, std::allocator<char> >";
            case 'i' -> "std::basic_istream<char, std::char_traits<char> >";
            case 'o' -> "std::basic_ostream<char, std::char_traits<char> >";
            case 'd' -> "std::basic_iostream<char, std::char_traits<char> >";
            default -> null;
        };
        if (std != null) {
            pos++;
            String base = switch (c) {
                case 'a' -> "allocator";
                case 'b', 's' -> "basic_string";
                case 'i' -> "basic_istream";
                case 'o' -> "basic_ostream";
                default -> "basic_iostream";
            };
            return new StdName(std, base);
        }
        int id = seqId();
        if (id >= subs.size()) throw new Fail();
        return subs.get(id);
    }

    private Node templateParam() {
        expect('T');
        int index = seqId();
        if (inLambda > 0) return new Text("auto:" + (index + 1));
        TParam t = new TParam(index);
        if (templateArgs != null) {
            if (index >= templateArgs.size()) throw new Fail();
            t.resolved = templateArgs.get(index);
        } else {
            pending.add(t);
        }
        return t;
    }

    private List<Node> templateArgs() {
        expect('I');
        List<Node> args = new ArrayList<>();
        while (!consume('E')) args.add(templateArg());
        return args;
    }

    private Node templateArg() {
        char c = peek();
        if (c == 'X') {
            pos++;
            Node e = expression();
            expect('E');
            return e;
        }
        if (c == 'L') return exprPrimary();
        if (c == 'J') {
            pos++;
            List<Node> pack = new ArrayList<>();
            while (!consume('E')) pack.add(templateArg());
            return new ArgPack(pack);
        }
        return type();
    }

    // ---------------------------------------------------------------- types

    private static String builtin(char c) {
        return switch (c) {
            case 'v' -> "void";
            case 'w' -> "wchar_t";
            case 'b' -> "bool";
            case 'c' -> "char";
            case 'a' -> "signed char";
            case 'h' -> "unsigned char";
            case 's' -> "short";
            case 't' -> "unsigned short";
            case 'i' -> "int";
            case 'j' -> "unsigned int";
            case 'l' -> "long";
            case 'm' -> "unsigned long";
            case 'x' -> "long long";
            case 'y' -> "unsigned long long";
            case 'n' -> "__int128";
            case 'o' -> "unsigned __int128";
            case 'f' -> "float";
            case 'd' -> "double";
            case 'e' -> "long double";
            case 'g' -> "__float128";
            case 'z' -> "...";
            default -> null;
        };
    }

    private static String builtinD(char c) {
        return switch (c) {
            case 'd' -> "decimal64";
            case 'e' -> "decimal128";
            case 'f' -> "decimal32";
            case 'h' -> "half";
            case 'i' -> "char32_t";
            case 's' -> "char16_t";
            case 'u' -> "char8_t";
            case 'a' -> "auto";
            case 'c' -> "decltype(auto)";
            case 'n' -> "decltype(nullptr)";
            default -> null;
        };
    }

    private Node type() {
        char c = peek();
        String b = builtin(c);
        if (b != null) {
            pos++;
            return new Text(b);
        }
        Node t;
        switch (c) {
            case 'r', 'V', 'K' -> {
                StringBuilder q = new StringBuilder();
                cvQualifiers(q);
                Node inner = type();
                if (inner instanceof FunctionType f) {
                    // a member function's qualified type is one substitution candidate, not two
                    if (!subs.isEmpty() && subs.getLast() == inner) subs.removeLast();
                    t = new FunctionType(f.ret, f.params, q + f.cvRef);
                } else {
                    t = new Qual(inner, q.toString());
                }
            }
            case 'P' -> {
                pos++;
                t = new Pointer(type(), "*");
            }
            case 'R' -> {
                pos++;
                t = new Pointer(type(), "&");
            }
            case 'O' -> {
                pos++;
                t = new Pointer(type(), "&&");
            }
            case 'C' -> {
                pos++;
                t = new Suffixed(type(), " _Complex");
            }
            case 'G' -> {
                pos++;
                t = new Suffixed(type(), " _Imaginary");
            }
            case 'F' -> t = functionType();
            case 'A' -> t = arrayType();
            case 'M' -> {
                pos++;
                Node cls = type();
                Node member = type();
                t = new PtrMem(cls, member);
            }
            case 'T' -> {
                if (peek(1) == 's' || peek(1) == 'u' || peek(1) == 'e') {
                    pos += 2;
                    t = name(false);
                } else {
                    t = templateParam();
                    if (peek() == 'I') {
                        subs.add(t);
                        t = new Template(t, templateArgs());
                    }
                }
            }
            case 'S' -> {
                if (peek(1) == 't') {
                    t = name(false);
                } else {
                    t = substitution();
                    if (peek() != 'I') return t;
                    t = new Template(t, templateArgs());
                }
            }
            case 'D' -> {
                char d = peek(1);
                String bd = builtinD(d);
                if (bd != null) {
                    pos += 2;
                    return new Text(bd);
                }
                if (d == 'F') {
                    pos += 2;
                    int bits = nonNegative();
                    expect('_');
                    return new Text("_Float" + bits);
                }
                if (d == 't' || d == 'T') {
                    t = decltype();
                } else if (d == 'p') {
                    pos += 2;
                    t = new PackExpansion(type());
                } else if (d == 'v') {
                    pos += 2;
                    String n = peek() == '_' ? "" : number();
                    expect('_');
                    t = new Suffixed(type(), " __vector(" + n + ")");
                } else if (d == 'x' || d == 'o' || d == 'O' || d == 'w') {
                    t = functionType();
                } else {
                    throw new Fail();
                }
            }
            case 'U' -> {
                pos++;
                String q = sourceName().text;
                Node inner = type();
                t = new Qual(inner, " " + q);
            }
            default -> t = name(false);
        }
        subs.add(t);
        return t;
    }

    private Node decltype() {
        expect('D');
        next();
        Node e = expression();
        expect('E');
        return new Decltype(e);
    }

    private Node functionType() {
        String except = "";
        if (consume("Do")) except = " noexcept";
        else if (consume("DO")) {
            Node e = expression();
            expect('E');
            except = " noexcept(" + str(e) + ")";
        } else if (consume("Dw")) {
            StringBuilder sb = new StringBuilder(" throw(");
            boolean first = true;
            while (!consume('E')) {
                if (!first) sb.append(", ");
                sb.append(str(type()));
                first = false;
            }
            except = sb.append(')').toString();
        }
        consume("Dx");
        expect('F');
        consume('Y');
        Node ret = type();
        List<Node> params = new ArrayList<>();
        String ref = "";
        while (true) {
            if (consume('E')) break;
            if (peek() == 'R' && peek(1) == 'E') {
                pos += 2;
                ref = " &";
                break;
            }
            if (peek() == 'O' && peek(1) == 'E') {
                pos += 2;
                ref = " &&";
                break;
            }
            params.add(type());
        }
        return new FunctionType(ret, params, ref + except);
    }

    private Node arrayType() {
        expect('A');
        String dim;
        if (isDigit(peek())) dim = String.valueOf(nonNegative());
        else if (peek() == '_') dim = "";
        else dim = str(expression());
        expect('_');
        return new ArrayType(type(), dim);
    }

    // ---------------------------------------------------------------- expressions

    private Node exprPrimary() {
        expect('L');
        if (peek() == '_' && peek(1) == 'Z') {
            pos += 2;
            Node e = encoding();
            expect('E');
            return e;
        }
        if (peek() == 'Z') {
            pos++;
            Node e = encoding();
            expect('E');
            return e;
        }
        Node type = type();
        int start = pos;
        while (!atEnd() && peek() != 'E') pos++;
        String value = in.substring(start, pos);
        expect('E');
        if (value.startsWith("n")) value = "-" + value.substring(1);
        return new Literal(literalText(type, value));
    }

    private static String literalText(Node type, String value) {
        if (type instanceof Text t) {
            switch (t.text) {
                case "int":
                    return value;
                case "unsigned int":
                    return value + "u";
                case "long":
                    return value + "l";
                case "unsigned long":
                    return value + "ul";
                case "long long":
                    return value + "ll";
                case "unsigned long long":
                    return value + "ull";
                case "bool":
                    if (value.equals("0")) return "false";
                    if (value.equals("1")) return "true";
                    break;
                default:
                    break;
            }
        }
        return "(" + str(type) + ")" + value;
    }

    private Node expression() {
        char c = peek();
        if (c == 'L') return exprPrimary();
        if (c == 'T') return templateParam();
        if (c == 'f' && peek(1) == 'p') {
            pos += 2;
            if (consume('T')) return new Text("this");
            StringBuilder q = new StringBuilder();
            cvQualifiers(q);
            int n = peek() == '_' ? 1 : nonNegative() + 2;
            expect('_');
            return new Param("{parm#" + n + "}");
        }
        if (c == 'f' && peek(1) == 'L') {
            pos += 2;
            nonNegative();
            expect('p');
            StringBuilder q = new StringBuilder();
            cvQualifiers(q);
            int n = peek() == '_' ? 1 : nonNegative() + 2;
            expect('_');
            return new Param("{parm#" + n + "}");
        }
        if (c == 's' && peek(1) == 'r') return unresolvedName();
        if (c == 'g' && peek(1) == 's' && peek(2) == 's' && peek(3) == 'r') {
            pos += 2;
            return new Prefixed("::", unresolvedName());
        }
        if (c == 'D' && (peek(1) == 't' || peek(1) == 'T')) return decltype();
        if (c == 's' && peek(1) == 'Z') {
            pos += 2;
            Node e = expression();
            return new Prefixed("sizeof...(", new Prefixed("", e), ")");
        }
        if (c == 's' && peek(1) == 'p') {
            pos += 2;
            return new PackExpansion(expression());
        }
        if (c == 't' && peek(1) == 'r') {
            pos += 2;
            return new Text("throw");
        }
        if (c == 't' && peek(1) == 'w') {
            pos += 2;
            return new Prefixed("throw ", expression());
        }
        if (isDigit(c)) {
            Node n = sourceName();
            if (peek() == 'I') n = new Template(n, templateArgs());
            return n;
        }
        if (pos + 2 > in.length()) throw new Fail();
        String code = in.substring(pos, pos + 2);
        pos += 2;
        switch (code) {
            case "cv": {
                Node type = type();
                if (consume('_')) {
                    List<Node> args = new ArrayList<>();
                    while (!consume('E')) args.add(expression());
                    return new Cast("(" + str(type) + ")", args);
                }
                return new Cast("(" + str(type) + ")", List.of(expression()));
            }
            case "dc", "sc", "cc", "rc": {
                String kind = switch (code) {
                    case "dc" -> "dynamic_cast";
                    case "sc" -> "static_cast";
                    case "cc" -> "const_cast";
                    default -> "reinterpret_cast";
                };
                Node type = type();
                Node e = expression();
                return new Text(kind + "<" + str(type) + ">(" + str(e) + ")");
            }
            case "st":
                return new Text("sizeof (" + str(type()) + ")");
            case "at":
                return new Text("alignof (" + str(type()) + ")");
            case "ti":
                return new Text("typeid (" + str(type()) + ")");
            case "te":
                return new Prefixed("typeid ", expression());
            case "nx":
                return new Prefixed("noexcept ", expression());
            case "cl": {
                Node fn = expression();
                List<Node> args = new ArrayList<>();
                while (!consume('E')) args.add(expression());
                return new Call(fn, args);
            }
            case "dt", "pt": {
                Node obj = expression();
                Node member = unresolvedBase();
                return new Member(obj, code.equals("dt") ? "." : "->", member);
            }
            case "ix": {
                Node a = expression();
                Node b = expression();
                return new Index(a, b);
            }
            case "qu": {
                Node a = expression();
                Node b = expression();
                Node d = expression();
                return new Conditional(a, b, d);
            }
            default:
                break;
        }
        Integer arity = ARITY.get(code);
        if (arity == null || arity == 0) throw new Fail();
        String op = OPERATORS.get(code);
        if (arity == 1) {
            boolean postfix = (code.equals("pp") || code.equals("mm")) && !consume('_');
            Node e = expression();
            if (postfix) return new Postfix(e, op);
            return new Unary(op, e);
        }
        Node a = expression();
        Node b = expression();
        return new Binary(a, op, b);
    }

    /**
     * {@code sr}: a member of a dependent type. The ABI's {@code sr <qualifier>+ E <name>} ({@code sr3stdE4swap})
     * and GCC's older {@code sr <type> <name>} ({@code sr3std4swap}) cannot always be told apart: as c++filt does,
     * the whole name is read the first way, and read again the second way if that fails.
     */
    private Node unresolvedName() {
        pos += 2; // sr
        Node type;
        char c = peek();
        if (!olderUnresolvedNames && (isDigit(c) || isLower(c) || c == 'C' || c == 'U' || c == 'L')) {
            ambiguousUnresolvedName = true;
            type = null;
            // the qualifiers are not substitution candidates (their template arguments' types are)
            while (!consume('E')) {
                Node level = simpleId();
                type = type == null ? level : new Nested(type, level, "");
            }
        } else {
            type = type();
        }
        Node member = unqualifiedName(null);
        if (peek() == 'I') member = new Template(member, templateArgs());
        return new Nested(type, member, "");
    }

    private Node simpleId() {
        Node n = sourceName();
        if (peek() == 'I') n = new Template(n, templateArgs());
        return n;
    }

    private Node unresolvedBase() {
        if (isDigit(peek())) return simpleId();
        if (consume("dn")) {
            Node t = isDigit(peek()) ? simpleId() : type();
            return new Text("~" + str(t));
        }
        consume("on");
        Node op = operatorName();
        if (peek() == 'I') op = new Template(op, templateArgs());
        return op;
    }

    // ---------------------------------------------------------------- printing

    /** Where a tree is printed to, and which element of a parameter pack a pack expansion is printing. */
    static final class P {
        final StringBuilder sb = new StringBuilder();
        int packIndex = -1;
        int packSize = -1;
        /** The template arguments of the function being printed, which its template parameters name. */
        List<Node> scope;

        boolean endsWith(char c) {
            return !sb.isEmpty() && sb.charAt(sb.length() - 1) == c;
        }
    }

    static String str(Node n) {
        P p = new P();
        n.print(p);
        return p.sb.toString();
    }

    private static void printParams(P p, List<Node> params) {
        if (params.size() == 1 && params.getFirst() instanceof Text t && t.text.equals("void")) return;
        printList(p, params);
    }

    /**
     * Prints {@code items} separated by commas as c++filt does with empty packs among them: a comma is dropped only
     * when nothing at all follows it ({@code <int>} for {@code <int, []>}, but {@code (int, , char)}). Tells whether
     * the list ended by dropping one: c++filt then does not space a closing {@code >} from a {@code >} before it,
     * as it does otherwise ({@code A<B<int> >}, but {@code A<B<int>>} when an empty pack came last).
     */
    private static boolean printList(P p, List<Node> items) {
        if (items.isEmpty()) return false;
        items.getFirst().print(p);
        int[] marks = new int[items.size()];
        for (int i = 1; i < items.size(); i++) {
            marks[i] = p.sb.length();
            p.sb.append(", ");
            items.get(i).print(p);
        }
        boolean dropped = false;
        for (int i = items.size() - 1; i > 0; i--) {
            if (p.sb.length() != marks[i] + 2) break;
            p.sb.setLength(marks[i]);
            dropped = true;
        }
        return dropped;
    }

    /** A node of the demangled tree; types print as a left part and a right part around a declarator. */
    abstract static class Node {
        abstract void left(P p);

        void right(P p) {
        }

        final void print(P p) {
            left(p);
            right(p);
        }

        /** The name a constructor or destructor of this class has. */
        String baseName() {
            return str(this);
        }

        /** Whether, as an operand, it prints without parentheses (a name, a function parameter). */
        boolean simple() {
            return false;
        }
    }

    static final class Text extends Node {
        final String text;

        Text(String text) {
            this.text = text;
        }

        @Override
        void left(P p) {
            p.sb.append(text);
        }

        @Override
        boolean simple() {
            return true;
        }
    }

    static final class Literal extends Node {
        final String text;

        Literal(String text) {
            this.text = text;
        }

        @Override
        void left(P p) {
            p.sb.append(text);
        }
    }

    static final class Param extends Node {
        final String text;

        Param(String text) {
            this.text = text;
        }

        @Override
        void left(P p) {
            p.sb.append(text);
        }

        @Override
        boolean simple() {
            return true;
        }
    }

    static final class StdName extends Node {
        final String text;
        final String base;

        StdName(String text, String base) {
            this.text = text;
            this.base = base;
        }

        @Override
        void left(P p) {
            p.sb.append(text);
        }

        @Override
        String baseName() {
            return base;
        }
    }

    static final class Operator extends Node {
        final String text;

        Operator(String text) {
            this.text = text;
        }

        @Override
        void left(P p) {
            p.sb.append(text);
        }
    }

    static final class Conversion extends Node {
        final Node type;

        Conversion(Node type) {
            this.type = type;
        }

        @Override
        void left(P p) {
            p.sb.append("operator ");
            type.print(p);
        }
    }

    static final class Ctor extends Node {
        final String base;
        final boolean dtor;

        Ctor(String base, boolean dtor) {
            this.base = base;
            this.dtor = dtor;
        }

        @Override
        void left(P p) {
            if (dtor) p.sb.append('~');
            p.sb.append(base);
        }
    }

    static final class Abi extends Node {
        final Node name;
        final String tag;

        Abi(Node name, String tag) {
            this.name = name;
            this.tag = tag;
        }

        @Override
        void left(P p) {
            name.print(p);
            p.sb.append("[abi:").append(tag).append(']');
        }

        @Override
        String baseName() {
            return name.baseName();
        }
    }

    static final class Nested extends Node {
        final Node prefix;
        final Node name;
        /** A member function's qualifiers ({@code  const}, {@code  &&}), printed after its parameters. */
        final String cvRef;

        Nested(Node prefix, Node name, String cvRef) {
            this.prefix = prefix;
            this.name = name;
            this.cvRef = cvRef;
        }

        @Override
        void left(P p) {
            if (prefix != null) {
                prefix.print(p);
                p.sb.append("::");
            }
            name.print(p);
        }

        @Override
        String baseName() {
            // an unnamed class's or closure's constructors are named after the class around it, as c++filt does
            if (prefix != null && name instanceof Text t && t.text.startsWith("{")) return prefix.baseName();
            return name.baseName();
        }

        @Override
        boolean simple() {
            return !(name instanceof Template);
        }
    }

    static final class Template extends Node {
        final Node name;
        final List<Node> args;

        Template(Node name, List<Node> args) {
            this.name = name;
            this.args = args;
        }

        @Override
        void left(P p) {
            name.print(p);
            if (p.endsWith('<')) p.sb.append(' ');
            p.sb.append('<');
            boolean dropped = printList(p, args);
            if (p.endsWith('>') && !dropped) p.sb.append(' ');
            p.sb.append('>');
        }

        @Override
        String baseName() {
            return name.baseName();
        }
    }

    static final class ArgPack extends Node {
        final List<Node> items;

        ArgPack(List<Node> items) {
            this.items = items;
        }

        @Override
        void left(P p) {
            printList(p, items);
        }
    }

    static final class TParam extends Node {
        final int index;
        Node resolved;

        TParam(int index) {
            this.index = index;
        }

        /**
         * The argument this parameter stands for where it is printed: c++filt looks template parameters up in the
         * template arguments of the function being printed (so a {@code T_} a substitution repeats in another
         * function's signature names that function's argument), else in those it was read with.
         */
        Node argument(P p) {
            Node a = resolved;
            if (p.scope != null) {
                if (index >= p.scope.size()) throw new Fail();
                a = p.scope.get(index);
            }
            if (a == null) throw new Fail();
            return a;
        }

        @Override
        void left(P p) {
            Node a = argument(p);
            if (a instanceof ArgPack pack && p.packIndex >= 0) {
                p.packSize = pack.items.size();
                if (p.packIndex < pack.items.size()) pack.items.get(p.packIndex).left(p);
                return;
            }
            a.left(p);
        }

        @Override
        void right(P p) {
            Node a = argument(p);
            if (a instanceof ArgPack pack && p.packIndex >= 0) {
                if (p.packIndex < pack.items.size()) pack.items.get(p.packIndex).right(p);
                return;
            }
            a.right(p);
        }

        @Override
        String baseName() {
            return resolved == null ? "" : resolved.baseName();
        }

        @Override
        boolean simple() {
            return resolved != null && resolved.simple();
        }
    }

    static final class PackExpansion extends Node {
        final Node pattern;

        PackExpansion(Node pattern) {
            this.pattern = pattern;
        }

        @Override
        void left(P p) {
            P probe = new P();
            probe.packIndex = 0;
            pattern.print(probe);
            int size = probe.packSize;
            if (size < 0) {
                p.sb.append('(');
                pattern.print(p);
                p.sb.append(")...");
                return;
            }
            int savedIndex = p.packIndex, savedSize = p.packSize;
            for (int i = 0; i < size; i++) {
                if (i > 0) p.sb.append(", ");
                p.packIndex = i;
                pattern.print(p);
            }
            p.packIndex = savedIndex;
            p.packSize = savedSize;
        }
    }

    static final class Qual extends Node {
        final Node inner;
        final String quals;

        Qual(Node inner, String quals) {
            this.inner = inner;
            this.quals = quals;
        }

        @Override
        void left(P p) {
            inner.left(p);
            // a qualifier the template argument has already is not repeated: T const with T = A const
            String q = quals;
            if (through(p, inner) instanceof Qual already) {
                for (String each : new String[] {" const", " volatile", " restrict"}) {
                    if (already.quals.contains(each)) q = q.replace(each, "");
                }
            }
            p.sb.append(q);
        }

        @Override
        void right(P p) {
            inner.right(p);
        }
    }

    static final class Suffixed extends Node {
        final Node inner;
        final String suffix;

        Suffixed(Node inner, String suffix) {
            this.inner = inner;
            this.suffix = suffix;
        }

        @Override
        void left(P p) {
            inner.print(p);
            p.sb.append(suffix);
        }
    }

    /**
     * What {@code n} stands for where it is printed: a template parameter's argument (the pack element a pack
     * expansion is at), {@code null} for an element of an empty pack.
     */
    private static Node through(P p, Node n) {
        while (n instanceof TParam t) {
            Node a = t.argument(p);
            if (a instanceof ArgPack pack && p.packIndex >= 0) {
                p.packSize = pack.items.size();
                if (p.packIndex >= pack.items.size()) return null;
                a = pack.items.get(p.packIndex);
            }
            n = a;
        }
        return n;
    }

    /**
     * {@code n} when it is printed around a declarator (a function or array type, possibly cv-qualified: the
     * qualifiers go with the element type, {@code char const (&) [4]}), else {@code null}.
     */
    private static Node declaratorType(P p, Node n) {
        n = through(p, n);
        Node core = n instanceof Qual q ? through(p, q.inner) : n;
        return core instanceof FunctionType || core instanceof ArrayType ? n : null;
    }

    /**
     * Whether {@code n}'s left part ends inside a declarator's parentheses (a pointer, reference or member pointer
     * to a function or array), so that what follows goes there unspaced: {@code void (*f())(int)}.
     */
    private static boolean opensDeclarator(P p, Node n) {
        n = through(p, n);
        if (n instanceof Qual q) n = through(p, q.inner);
        if (n instanceof Pointer ptr) {
            Pointer c = ptr.collapsed(p);
            return declaratorType(p, (c != null ? c : ptr).pointee) != null;
        }
        return n instanceof PtrMem m && declaratorType(p, m.member) != null;
    }

    private static boolean isArray(P p, Node n) {
        n = through(p, n);
        return (n instanceof Qual q ? through(p, q.inner) : n) instanceof ArrayType;
    }

    static final class Pointer extends Node {
        final Node pointee;
        final String symbol;

        Pointer(Node pointee, String symbol) {
            this.pointee = pointee;
            this.symbol = symbol;
        }

        /** A reference to a reference (through a template argument) collapses: {@code &&} only when both are. */
        private Pointer collapsed(P p) {
            if (symbol.equals("*")) return null;
            if (!(through(p, pointee) instanceof Pointer r) || r.symbol.equals("*")) return null;
            Pointer c = new Pointer(r.pointee, symbol.equals("&&") && r.symbol.equals("&&") ? "&&" : "&");
            Pointer again = c.collapsed(p);
            return again != null ? again : c;
        }

        @Override
        void left(P p) {
            Pointer c = collapsed(p);
            if (c != null) {
                c.left(p);
                return;
            }
            Node d = declaratorType(p, pointee);
            if (d != null) {
                d.left(p);
                p.sb.append(isArray(p, d) ? " (" : "(");
                p.sb.append(symbol);
            } else {
                pointee.left(p);
                p.sb.append(symbol);
            }
        }

        @Override
        void right(P p) {
            Pointer c = collapsed(p);
            if (c != null) {
                c.right(p);
                return;
            }
            Node d = declaratorType(p, pointee);
            if (d != null) {
                p.sb.append(')');
                d.right(p);
            } else {
                pointee.right(p);
            }
        }
    }

    static final class PtrMem extends Node {
        final Node cls;
        final Node member;

        PtrMem(Node cls, Node member) {
            this.cls = cls;
            this.member = member;
        }

        @Override
        void left(P p) {
            Node d = declaratorType(p, member);
            if (d != null) {
                d.left(p);
                p.sb.append(isArray(p, d) ? " (" : "(");
            } else {
                member.left(p);
                p.sb.append(' ');
            }
            cls.print(p);
            p.sb.append("::*");
        }

        @Override
        void right(P p) {
            Node d = declaratorType(p, member);
            if (d != null) {
                p.sb.append(')');
                d.right(p);
            } else {
                member.right(p);
            }
        }
    }

    static final class FunctionType extends Node {
        final Node ret;
        final List<Node> params;
        final String cvRef;

        FunctionType(Node ret, List<Node> params, String cvRef) {
            this.ret = ret;
            this.params = params;
            this.cvRef = cvRef;
        }

        @Override
        void left(P p) {
            ret.left(p);
            if (!opensDeclarator(p, ret)) p.sb.append(' ');
        }

        @Override
        void right(P p) {
            p.sb.append('(');
            printParams(p, params);
            p.sb.append(')');
            p.sb.append(cvRef);
            ret.right(p);
        }
    }

    static final class ArrayType extends Node {
        final Node element;
        final String dimension;

        ArrayType(Node element, String dimension) {
            this.element = element;
            this.dimension = dimension;
        }

        @Override
        void left(P p) {
            element.left(p);
        }

        @Override
        void right(P p) {
            p.sb.append(p.endsWith(']') ? "[" : " [").append(dimension).append(']');
            element.right(p);
        }
    }

    static final class Function extends Node {
        final Node name;
        final Node ret;
        final List<Node> params;
        final String cvRef;

        Function(Node name, Node ret, List<Node> params, String cvRef) {
            this.name = name;
            this.ret = ret;
            this.params = params;
            this.cvRef = cvRef;
        }

        @Override
        void left(P p) {
            print(p, true);
        }

        void print(P p, boolean withReturn) {
            List<Node> saved = p.scope;
            List<Node> args = templateArgsOf(name);
            if (args != null) p.scope = args;
            try {
                printIn(p, withReturn);
            } finally {
                p.scope = saved;
            }
        }

        private void printIn(P p, boolean withReturn) {
            boolean r = withReturn && ret != null;
            if (r) {
                ret.left(p);
                if (!opensDeclarator(p, ret)) p.sb.append(' ');
            }
            name.print(p);
            p.sb.append('(');
            printParams(p, params);
            p.sb.append(')');
            p.sb.append(cvRef);
            if (r) ret.right(p);
        }
    }

    /** The template arguments of a function named {@code name}, or {@code null} when it is not a template. */
    private static List<Node> templateArgsOf(Node name) {
        Node last = name;
        if (last instanceof Local l) last = l.entity;
        if (last instanceof Nested n) last = n.name;
        return last instanceof Template t ? t.args : null;
    }

    static final class Local extends Node {
        final Node encoding;
        final Node entity;

        Local(Node encoding, Node entity) {
            this.encoding = encoding;
            this.entity = entity;
        }

        @Override
        void left(P p) {
            if (encoding instanceof Function f) f.print(p, false);
            else encoding.print(p);
            p.sb.append("::");
            entity.print(p);
        }

        @Override
        String baseName() {
            return entity.baseName();
        }
    }

    static final class Special extends Node {
        final String what;
        final Node of;

        Special(String what, Node of) {
            this.what = what;
            this.of = of;
        }

        @Override
        void left(P p) {
            p.sb.append(what);
            of.print(p);
        }
    }

    static final class ConstructionVtable extends Node {
        final Node base;
        final Node derived;

        ConstructionVtable(Node base, Node derived) {
            this.base = base;
            this.derived = derived;
        }

        @Override
        void left(P p) {
            p.sb.append("construction vtable for ");
            base.print(p);
            p.sb.append("-in-");
            derived.print(p);
        }
    }

    static final class Clone extends Node {
        final Node inner;
        final String suffix;

        Clone(Node inner, String suffix) {
            this.inner = inner;
            this.suffix = suffix;
        }

        @Override
        void left(P p) {
            inner.print(p);
            p.sb.append(" [clone ").append(suffix).append(']');
        }
    }

    static final class Decltype extends Node {
        final Node expr;

        Decltype(Node expr) {
            this.expr = expr;
        }

        @Override
        void left(P p) {
            p.sb.append("decltype (");
            expr.print(p);
            p.sb.append(')');
        }
    }

    /** An operand, in parentheses unless it is a name or a parameter. */
    private static void operand(P p, Node n) {
        if (n.simple()) {
            n.print(p);
        } else {
            p.sb.append('(');
            n.print(p);
            p.sb.append(')');
        }
    }

    static final class Prefixed extends Node {
        final String before;
        final Node e;
        final String after;

        Prefixed(String before, Node e) {
            this(before, e, "");
        }

        Prefixed(String before, Node e, String after) {
            this.before = before;
            this.e = e;
            this.after = after;
        }

        @Override
        void left(P p) {
            p.sb.append(before);
            e.print(p);
            p.sb.append(after);
        }
    }

    static final class Unary extends Node {
        final String op;
        final Node e;

        Unary(String op, Node e) {
            this.op = op;
            this.e = e;
        }

        @Override
        void left(P p) {
            p.sb.append(op);
            // c++filt writes a pointer to a qualified function without its signature: &A::f
            if (op.equals("&") && e instanceof Function f && f.name instanceof Nested n && n.prefix != null) {
                n.print(p);
                return;
            }
            operand(p, e);
        }
    }

    static final class Postfix extends Node {
        final Node e;
        final String op;

        Postfix(Node e, String op) {
            this.e = e;
            this.op = op;
        }

        @Override
        void left(P p) {
            operand(p, e);
            p.sb.append(op);
        }
    }

    static final class Binary extends Node {
        final Node a;
        final String op;
        final Node b;

        Binary(Node a, String op, Node b) {
            this.a = a;
            this.op = op;
            this.b = b;
        }

        @Override
        void left(P p) {
            // a greater-than inside template arguments is parenthesised, so that it cannot end the argument list
            boolean gt = op.equals(">");
            if (gt) p.sb.append('(');
            operand(p, a);
            p.sb.append(op);
            operand(p, b);
            if (gt) p.sb.append(')');
        }
    }

    static final class Conditional extends Node {
        final Node c;
        final Node a;
        final Node b;

        Conditional(Node c, Node a, Node b) {
            this.c = c;
            this.a = a;
            this.b = b;
        }

        @Override
        void left(P p) {
            operand(p, c);
            p.sb.append('?');
            operand(p, a);
            p.sb.append(" : ");
            operand(p, b);
        }
    }

    static final class Index extends Node {
        final Node a;
        final Node i;

        Index(Node a, Node i) {
            this.a = a;
            this.i = i;
        }

        @Override
        void left(P p) {
            operand(p, a);
            p.sb.append('[');
            i.print(p);
            p.sb.append(']');
        }
    }

    static final class Member extends Node {
        final Node obj;
        final String op;
        final Node member;

        Member(Node obj, String op, Node member) {
            this.obj = obj;
            this.op = op;
            this.member = member;
        }

        @Override
        void left(P p) {
            operand(p, obj);
            p.sb.append(op);
            member.print(p);
        }
    }

    static final class Call extends Node {
        final Node fn;
        final List<Node> args;

        Call(Node fn, List<Node> args) {
            this.fn = fn;
            this.args = args;
        }

        @Override
        void left(P p) {
            operand(p, fn);
            p.sb.append('(');
            printList(p, args);
            p.sb.append(')');
        }
    }

    static final class Cast extends Node {
        final String type;
        final List<Node> args;

        Cast(String type, List<Node> args) {
            this.type = type;
            this.args = args;
        }

        @Override
        void left(P p) {
            p.sb.append(type);
            if (args.size() == 1) {
                operand(p, args.getFirst());
            } else {
                p.sb.append('(');
                printList(p, args);
                p.sb.append(')');
            }
        }
    }
}
