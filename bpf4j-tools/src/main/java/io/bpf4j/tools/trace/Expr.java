package io.bpf4j.tools.trace;

import io.bpf4j.tools.UsageError;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Function;

/**
 * The small expression language of {@code trace} filters and arguments and of {@code argdist} expressions,
 * evaluated in Java on each captured event. Values are 64-bit integers or strings.
 *
 * <pre>
 * expr    := or
 * or      := and ('||' and)*          and := cmp ('&amp;&amp;' cmp)*
 * cmp     := bits (('=='|'!='|'&lt;'|'&lt;='|'&gt;'|'&gt;=') bits)?
 * bits    := add (('&amp;'|'|'|'^') add)*   add := mul (('+'|'-') mul)*
 * mul     := unary (('*'|'/'|'%'|'&lt;&lt;'|'&gt;&gt;') unary)*
 * unary   := ('!'|'-'|'~') unary | primary
 * primary := number (decimal, 0x hex) | "string" | name | '(' expr ')'
 * name    := [$]identifier, optionally args-&gt;field or args.field (the same as field)
 * </pre>
 * Integers compare signed; a string compares with a string ({@code ==}, {@code !=}, ordering); a value is true
 * when it is a non-zero integer or a non-empty string.
 */
abstract class Expr {
    /** The names the expression reads. */
    final Set<String> names = new LinkedHashSet<>();
    /** The names compared with a string literal: they must be read as strings. */
    final Set<String> stringNames = new LinkedHashSet<>();

    /** The value of this expression, reading names through {@code vars}. */
    abstract Object eval(Function<String, Object> vars);

    /** Whether the value is true. */
    static boolean truth(Object v) {
        return v instanceof String s ? !s.isEmpty() : ((Long) v) != 0;
    }

    /** Parses {@code text} whole. */
    static Expr parse(String text) {
        Parser p = new Parser(text, 0);
        Expr e = p.parse();
        p.skip();
        if (p.pos != text.length()) throw p.error("unexpected '" + text.substring(p.pos) + "'");
        return e;
    }

    /** A name with its {@code args->} or {@code args.} prefix removed. */
    static String canonical(String name) {
        if (name.startsWith("args->")) return name.substring(6);
        if (name.startsWith("args.")) return name.substring(5);
        return name;
    }

    /** A recursive-descent parser that may stop before the end of its text (at {@link #pos}). */
    static final class Parser {
        final String s;
        int pos;
        private final Set<String> names = new LinkedHashSet<>();
        private final Set<String> stringNames = new LinkedHashSet<>();

        Parser(String s, int pos) {
            this.s = s;
            this.pos = pos;
        }

        /** Parses one expression from {@link #pos}, leaving {@link #pos} after it. */
        Expr parse() {
            Expr body = or();
            // a lone name stays a Name: trace asks whether a %s argument is one
            Expr e = body instanceof Name || body instanceof Literal ? body : new Expr() {
                @Override
                Object eval(Function<String, Object> vars) {
                    return body.eval(vars);
                }
            };
            e.names.addAll(names);
            e.stringNames.addAll(stringNames);
            return e;
        }

        UsageError error(String what) {
            return new UsageError("expression '" + s + "' at " + (pos + 1) + ": " + what);
        }

        void skip() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) pos++;
        }

        private boolean eat(String op) {
            skip();
            if (!s.startsWith(op, pos)) return false;
            // '|' is not '||', '&' not '&&', '<' not '<<' or '<=', '>' likewise, '!' not '!='
            if (op.length() == 1 && pos + 1 < s.length()) {
                char next = s.charAt(pos + 1);
                if ((op.equals("|") && next == '|') || (op.equals("&") && next == '&')
                        || (op.equals("<") && (next == '<' || next == '=')) || (op.equals(">") && (next == '>'
                        || next == '=')) || (op.equals("!") && next == '=')) {
                    return false;
                }
            }
            if (op.equals("-") && s.startsWith("->", pos)) return false;
            pos += op.length();
            return true;
        }

        private Expr or() {
            Expr l = and();
            while (eat("||")) {
                Expr a = l, b = and();
                l = fn(v -> truth(a.eval(v)) || truth(b.eval(v)) ? 1L : 0L);
            }
            return l;
        }

        private Expr and() {
            Expr l = cmp();
            while (eat("&&")) {
                Expr a = l, b = cmp();
                l = fn(v -> truth(a.eval(v)) && truth(b.eval(v)) ? 1L : 0L);
            }
            return l;
        }

        private Expr cmp() {
            Expr l = bits();
            for (String op : new String[]{"==", "!=", "<=", ">=", "<", ">"}) {
                int at = pos;
                if (!eat(op)) continue;
                Expr a = l, b = bits();
                markStrings(a, b);
                markStrings(b, a);
                return fn(v -> {
                    Object x = a.eval(v), y = b.eval(v);
                    int c;
                    if (x instanceof String xs && y instanceof String ys) c = xs.compareTo(ys);
                    else if (x instanceof Long xl && y instanceof Long yl) c = Long.compare(xl, yl);
                    else throw new IllegalArgumentException("cannot compare " + x + " with " + y + " (in '"
                            + s + "', at " + (at + 1) + ")");
                    boolean r = switch (op) {
                        case "==" -> c == 0;
                        case "!=" -> c != 0;
                        case "<=" -> c <= 0;
                        case ">=" -> c >= 0;
                        case "<" -> c < 0;
                        default -> c > 0;
                    };
                    return r ? 1L : 0L;
                });
            }
            return l;
        }

        /** {@code name == "literal"}: the name must be read as a string. */
        private void markStrings(Expr side, Expr other) {
            if (side instanceof Name n && other instanceof Literal lit && lit.value instanceof String) {
                stringNames.add(n.name);
            }
        }

        private Expr bits() {
            Expr l = add();
            while (true) {
                String op = eat("&") ? "&" : eat("|") ? "|" : eat("^") ? "^" : null;
                if (op == null) return l;
                Expr a = l, b = add();
                l = fn(v -> {
                    long x = num(a.eval(v)), y = num(b.eval(v));
                    return switch (op) {
                        case "&" -> x & y;
                        case "|" -> x | y;
                        default -> x ^ y;
                    };
                });
            }
        }

        private Expr add() {
            Expr l = mul();
            while (true) {
                String op = eat("+") ? "+" : eat("-") ? "-" : null;
                if (op == null) return l;
                Expr a = l, b = mul();
                l = fn(v -> op.equals("+") ? num(a.eval(v)) + num(b.eval(v)) : num(a.eval(v)) - num(b.eval(v)));
            }
        }

        private Expr mul() {
            Expr l = unary();
            while (true) {
                String op = eat("*") ? "*" : eat("/") ? "/" : eat("%") ? "%" : eat("<<") ? "<<" : eat(">>") ? ">>"
                        : null;
                if (op == null) return l;
                Expr a = l, b = unary();
                l = fn(v -> {
                    long x = num(a.eval(v)), y = num(b.eval(v));
                    return switch (op) {
                        case "*" -> x * y;
                        case "/" -> y == 0 ? 0 : x / y;
                        case "%" -> y == 0 ? 0 : x % y;
                        case "<<" -> x << y;
                        default -> x >> y;
                    };
                });
            }
        }

        private Expr unary() {
            if (eat("!")) {
                Expr e = unary();
                return fn(v -> truth(e.eval(v)) ? 0L : 1L);
            }
            if (eat("-")) {
                Expr e = unary();
                return fn(v -> -num(e.eval(v)));
            }
            if (eat("~")) {
                Expr e = unary();
                return fn(v -> ~num(e.eval(v)));
            }
            return primary();
        }

        private Expr primary() {
            skip();
            if (pos >= s.length()) throw error("expected a value");
            char c = s.charAt(pos);
            if (c == '(') {
                pos++;
                Expr e = or();
                if (!eat(")")) throw error("expected ')'");
                return e;
            }
            if (c == '"') return new Literal(readString());
            if (Character.isDigit(c)) {
                int start = pos;
                while (pos < s.length() && Character.isLetterOrDigit(s.charAt(pos))) pos++;
                String n = s.substring(start, pos).toLowerCase().replaceAll("(ul|lu|ull|llu|u|l|ll)$", "");
                try {
                    return new Literal(n.startsWith("0x") ? Long.parseUnsignedLong(n.substring(2), 16)
                            : Long.parseLong(n));
                } catch (NumberFormatException e) {
                    throw error("bad number '" + n + "'");
                }
            }
            if (c == '$' || Character.isJavaIdentifierStart(c)) {
                int start = pos++;
                while (pos < s.length() && (Character.isJavaIdentifierPart(s.charAt(pos))
                        || s.startsWith("->", pos) && s.startsWith("args", start)
                        || s.charAt(pos) == '.' && s.startsWith("args", start))) {
                    pos += s.startsWith("->", pos) ? 2 : 1;
                }
                String name = canonical(s.substring(start, pos));
                names.add(name);
                return new Name(name);
            }
            throw error("unexpected '" + c + "'");
        }

        /** A double-quoted string with C escapes, from {@link #pos}. */
        String readString() {
            StringBuilder b = new StringBuilder();
            pos++;
            while (pos < s.length() && s.charAt(pos) != '"') {
                char c = s.charAt(pos++);
                if (c == '\\' && pos < s.length()) {
                    char e = s.charAt(pos++);
                    b.append(switch (e) {
                        case 'n' -> '\n';
                        case 't' -> '\t';
                        case '0' -> '\0';
                        default -> e;
                    });
                } else {
                    b.append(c);
                }
            }
            if (pos >= s.length()) throw error("unterminated string");
            pos++;
            return b.toString();
        }

        private static long num(Object v) {
            if (v instanceof Long l) return l;
            throw new IllegalArgumentException("'" + v + "' is a string, not a number");
        }

        private static Expr fn(Function<Function<String, Object>, Object> f) {
            return new Expr() {
                @Override
                Object eval(Function<String, Object> vars) {
                    return f.apply(vars);
                }
            };
        }
    }

    /** A constant. */
    static final class Literal extends Expr {
        final Object value;

        Literal(Object value) {
            this.value = value;
        }

        @Override
        Object eval(Function<String, Object> vars) {
            return value;
        }
    }

    /** A name read from the event. */
    static final class Name extends Expr {
        final String name;

        Name(String name) {
            this.name = name;
        }

        @Override
        Object eval(Function<String, Object> vars) {
            return vars.apply(name);
        }
    }
}
