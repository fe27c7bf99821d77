package io.bpf4j.bpftrace.parse;

import io.bpf4j.bpftrace.ast.AttachPoint;
import io.bpf4j.bpftrace.ast.Expr;
import io.bpf4j.bpftrace.ast.Position;
import io.bpf4j.bpftrace.ast.Probe;
import io.bpf4j.bpftrace.ast.Script;
import io.bpf4j.bpftrace.ast.SourceException;
import io.bpf4j.bpftrace.ast.Stmt;
import io.bpf4j.bpftrace.check.CTypes;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A recursive-descent parser for the bpftrace language, with C's operator precedence as bpftrace's grammar has it:
 * {@code ?:} below {@code ||}, {@code &&}, {@code |}, {@code ^}, {@code &}, equality, relational, shifts, additive,
 * multiplicative, unary, and postfix ({@code []}, {@code ->}, {@code .}, calls).
 *
 * <p>Compound assignments ({@code @x += 1}) and increments as statements ({@code @x++}, {@code $i--}) are desugared
 * into plain assignments. Inside a predicate ({@code /pid == 42/}) an unparenthesised {@code /} closes the
 * predicate, as in bpftrace: write a division there in parentheses.
 */
public final class Parser {
    /** Binary operators by precedence level, lowest first. */
    private static final List<List<String>> LEVELS = List.of(
            List.of("||"), List.of("&&"), List.of("|"), List.of("^"), List.of("&"), List.of("==", "!="),
            List.of("<", ">", "<=", ">="), List.of("<<", ">>"), List.of("+", "-"), List.of("*", "/", "%"));
    private static final Map<String, String> COMPOUND = Map.of("+=", "+", "-=", "-", "*=", "*", "/=", "/", "%=", "%",
            "&=", "&", "|=", "|", "^=", "^", "<<=", "<<", ">>=", ">>");

    private final Lexer lexer;
    private Token lookahead;
    /** Parenthesis depth inside a predicate, or -1 outside one: at depth 0, '/' ends the predicate. */
    private int predicateDepth = -1;

    private Parser(String source) {
        this.lexer = new Lexer(source);
    }

    /**
     * Parses a whole program.
     *
     * @throws SourceException at the first syntax error
     */
    public static Script parse(String source) {
        return new Parser(source).script();
    }

    private Script script() {
        List<Probe> probes = new ArrayList<>();
        List<String> definitions = new ArrayList<>();
        while (!lexer.atEnd()) {
            String def = lexer.definition();
            if (def != null) definitions.add(def);
            else probes.add(probe());
        }
        if (probes.isEmpty()) throw new SourceException(new Position(1, 1), "the program has no probes");
        return new Script(definitions, probes);
    }

    private Probe probe() {
        Position start = lexer.position();
        List<AttachPoint> points = new ArrayList<>();
        while (true) {
            points.add(attachPoint(lexer.attachPoint()));
            if (lexer.peekChar() != ',') break;
            expect(",");
        }
        Expr predicate = null;
        if (peek().is("/")) {
            next();
            predicateDepth = 0;
            predicate = expr();
            predicateDepth = -1;
            expect("/");
        }
        List<Stmt> body = block();
        return new Probe(points, predicate, body, start);
    }

    private static AttachPoint attachPoint(Token t) {
        String text = t.text();
        List<String> parts = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\' && quoted && i + 1 < text.length()) {
                // a quoted part may hold any character, as usdt:BIN:test:"\"probe1\"" names probe "probe1" with
                // its quotes
                cur.append(text.charAt(++i));
            } else if (c == '"') {
                quoted = !quoted;
            } else if (c == ':' && !quoted) {
                parts.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        parts.add(cur.toString());
        String provider = parts.removeFirst();
        return new AttachPoint(text, provider, parts, t.position());
    }

    private List<Stmt> block() {
        expect("{");
        List<Stmt> stmts = new ArrayList<>();
        while (!peek().is("}")) {
            if (peek().kind() == Token.Kind.EOF) throw error(peek(), "expected '}' to close the block");
            if (peek().is(";")) {
                next();
                continue;
            }
            Stmt s = statement();
            stmts.add(s);
            boolean blockLike = s instanceof Stmt.If || s instanceof Stmt.Unroll || s instanceof Stmt.While;
            if (!blockLike && !peek().is("}")) expect(";");
        }
        next();
        return stmts;
    }

    private Stmt statement() {
        Token t = peek();
        if (t.kind() == Token.Kind.IDENT) {
            switch (t.text()) {
                case "if" -> {
                    return ifStatement();
                }
                case "unroll" -> {
                    next();
                    expect("(");
                    Expr count = expr();
                    expect(")");
                    return new Stmt.Unroll(count, block(), t.position());
                }
                case "while" -> {
                    next();
                    expect("(");
                    Expr cond = expr();
                    expect(")");
                    return new Stmt.While(cond, block(), t.position());
                }
                case "break", "continue" -> {
                    next();
                    return new Stmt.Jump(t.text().equals("break"), t.position());
                }
                case "return" -> {
                    next();
                    return new Stmt.Return(t.position());
                }
                default -> {
                }
            }
        }
        if (t.is("++") || t.is("--")) {
            next();
            Expr target = postfix();
            return increment(target, t.text().substring(1), t.position());
        }
        Expr e = expr();
        if (e instanceof Expr.Increment inc) {
            return increment(inc.target(), inc.delta() > 0 ? "+" : "-", inc.position());
        }
        Token op = peek();
        if (op.is("=")) {
            next();
            return assign(e, expr(), op);
        }
        String compound = op.kind() == Token.Kind.PUNCT ? COMPOUND.get(op.text()) : null;
        if (compound != null) {
            next();
            Expr value = expr();
            return assign(e, new Expr.Binary(compound, e, value, op.position()), op);
        }
        if (op.is("++") || op.is("--")) {
            next();
            return increment(e, op.text().substring(1), op.position());
        }
        return new Stmt.ExprStmt(e, t.position());
    }

    private Stmt increment(Expr target, String op, Position at) {
        Expr value = new Expr.Binary(op, target, new Expr.IntLiteral(1, at), at);
        return switch (target) {
            case Expr.MapAccess m -> new Stmt.AssignMap(m, value, m.position());
            case Expr.Variable v -> new Stmt.AssignVar(v, value, v.position());
            default -> throw new SourceException(target.position(), "only a map or a variable can be incremented");
        };
    }

    private Stmt assign(Expr target, Expr value, Token op) {
        return switch (target) {
            case Expr.MapAccess m -> new Stmt.AssignMap(m, value, m.position());
            case Expr.Variable v -> new Stmt.AssignVar(v, value, v.position());
            default -> throw error(op, "only a map (@name) or a variable ($name) can be assigned to");
        };
    }

    private Stmt ifStatement() {
        Token t = next();
        expect("(");
        Expr cond = expr();
        expect(")");
        List<Stmt> then = block();
        List<Stmt> otherwise = List.of();
        if (peek().kind() == Token.Kind.IDENT && peek().text().equals("else")) {
            next();
            if (peek().kind() == Token.Kind.IDENT && peek().text().equals("if")) {
                otherwise = List.of(ifStatement());
            } else {
                otherwise = block();
            }
        }
        return new Stmt.If(cond, then, otherwise, t.position());
    }

    // ---- expressions ----

    private Expr expr() {
        Expr cond = binary(0);
        if (peek().is("?")) {
            Token q = next();
            Expr then = expr();
            expect(":");
            Expr otherwise = expr();
            return new Expr.Ternary(cond, then, otherwise, q.position());
        }
        return cond;
    }

    private Expr binary(int level) {
        if (level == LEVELS.size()) return unary();
        Expr left = binary(level + 1);
        while (true) {
            Token t = peek();
            if (t.kind() != Token.Kind.PUNCT || !LEVELS.get(level).contains(t.text())) return left;
            if (t.is("/") && predicateDepth == 0) return left;
            next();
            Expr right = binary(level + 1);
            left = new Expr.Binary(t.text(), left, right, t.position());
        }
    }

    private Expr unary() {
        Token t = peek();
        if (t.is("!") || t.is("~") || t.is("-")) {
            next();
            Expr operand = unary();
            if (t.is("-") && operand instanceof Expr.IntLiteral lit) {
                return new Expr.IntLiteral(-lit.value(), t.position());
            }
            return new Expr.Unary(t.text(), operand, t.position());
        }
        if (t.is("+")) {
            next();
            return unary();
        }
        if (t.is("*") || t.is("&")) {
            next();
            return new Expr.Unary(t.text(), unary(), t.position());
        }
        if (t.is("++") || t.is("--")) {
            next();
            return new Expr.Increment(postfix(), t.is("++") ? 1 : -1, true, t.position());
        }
        return postfix();
    }

    private Expr postfix() {
        Expr e = primary();
        while (true) {
            Token t = peek();
            if (t.is("->") || t.is(".")) {
                next();
                Token f = next();
                if (f.kind() != Token.Kind.IDENT && !(f.kind() == Token.Kind.INT && t.is("."))) {
                    throw error(f, "expected a field name after " + t.describe());
                }
                e = new Expr.Field(e, f.text(), t.is("->"), t.position());
            } else if ((t.is("++") || t.is("--")) && (e instanceof Expr.MapAccess || e instanceof Expr.Variable)) {
                next();
                e = new Expr.Increment(e, t.is("++") ? 1 : -1, false, t.position());
            } else if (t.is("[") && !(e instanceof Expr.MapAccess m && m.keys().isEmpty())) {
                next();
                Expr index = expr();
                expect("]");
                e = new Expr.Index(e, index, t.position());
            } else if (t.is("[") && e instanceof Expr.MapAccess m && m.keys().isEmpty()) {
                next();
                List<Expr> keys = new ArrayList<>();
                keys.add(expr());
                while (peek().is(",")) {
                    next();
                    keys.add(expr());
                }
                expect("]");
                e = new Expr.MapAccess(m.name(), keys, m.position());
            } else {
                return e;
            }
        }
    }

    private Expr primary() {
        Token t = next();
        switch (t.kind()) {
            case INT -> {
                return new Expr.IntLiteral(t.value(), t.position());
            }
            case STRING -> {
                return new Expr.StringLiteral(t.text(), t.position());
            }
            case MAP -> {
                return new Expr.MapAccess(t.text(), List.of(), t.position());
            }
            case VAR -> {
                return new Expr.Variable(t.text(), t.position());
            }
            case POSITIONAL -> {
                return new Expr.Positional((int) t.value(), t.position());
            }
            case IDENT -> {
                if (t.text().equals("sizeof") && peek().is("(")) {
                    next();
                    Expr.SizeOf sizeOf;
                    if (peek().kind() == Token.Kind.IDENT && CTypes.startsType(peek().text())) {
                        sizeOf = new Expr.SizeOf(typeName(), null, t.position());
                    } else {
                        sizeOf = new Expr.SizeOf(null, expr(), t.position());
                    }
                    expect(")");
                    return sizeOf;
                }
                if (peek().is("(")) {
                    next();
                    List<Expr> args = new ArrayList<>();
                    int saved = predicateDepth;
                    predicateDepth = -1;
                    if (!peek().is(")")) {
                        args.add(expr());
                        while (peek().is(",")) {
                            next();
                            args.add(expr());
                        }
                    }
                    predicateDepth = saved;
                    expect(")");
                    return new Expr.Call(t.text(), args, t.position());
                }
                return new Expr.Builtin(t.text(), t.position());
            }
            case PUNCT -> {
                if (t.is("(")) {
                    if (peek().kind() == Token.Kind.IDENT && CTypes.startsType(peek().text())) {
                        String type = typeName();
                        expect(")");
                        return new Expr.Cast(type, unary(), t.position());
                    }
                    int saved = predicateDepth;
                    predicateDepth = -1;
                    Expr inner = expr();
                    if (peek().is(",")) {
                        List<Expr> elements = new ArrayList<>();
                        elements.add(inner);
                        while (peek().is(",")) {
                            next();
                            elements.add(expr());
                        }
                        inner = new Expr.Tuple(elements, t.position());
                    }
                    predicateDepth = saved;
                    expect(")");
                    return inner;
                }
                throw error(t, "expected an expression, found " + t.describe());
            }
            default -> throw error(t, "expected an expression, found " + t.describe());
        }
    }

    /** A C type name up to the closing parenthesis (not consumed): {@code unsigned int}, {@code struct Foo *}. */
    private String typeName() {
        StringBuilder sb = new StringBuilder();
        while (!peek().is(")")) {
            Token w = next();
            if (w.kind() == Token.Kind.EOF) throw error(w, "expected ')' after a type name");
            if (!sb.isEmpty()) sb.append(' ');
            sb.append(w.text());
        }
        return sb.toString();
    }

    // ---- tokens ----

    private Token peek() {
        if (lookahead == null) {
            lookahead = lexer.next();
            String value = lookahead.kind() == Token.Kind.IDENT ? lexer.define(lookahead.text()) : null;
            if (value != null) lookahead = Lexer.literal(value, lookahead.position());
        }
        return lookahead;
    }

    private Token next() {
        Token t = peek();
        lookahead = null;
        return t;
    }

    private void expect(String punct) {
        Token t = next();
        if (!t.is(punct)) throw error(t, "expected '" + punct + "', found " + t.describe());
    }

    private static SourceException error(Token t, String message) {
        return new SourceException(t.position(), message);
    }
}
