package io.bpf4j.bpftrace.parse;

import io.bpf4j.bpftrace.ast.Position;

/**
 * A lexical token.
 *
 * @param kind     what it is
 * @param text     the text: an identifier or operator as written, a string literal decoded, a map's name with its
 *                 {@code @}, a variable's with its {@code $}
 * @param value    the value of an integer literal
 * @param position where it starts
 */
record Token(Kind kind, String text, long value, Position position) {
    enum Kind { IDENT, INT, STRING, MAP, VAR, POSITIONAL, PUNCT, EOF }

    boolean is(String punct) {
        return kind == Kind.PUNCT && text.equals(punct);
    }

    String describe() {
        return switch (kind) {
            case EOF -> "end of input";
            case STRING -> "string \"" + text + "\"";
            default -> "'" + text + "'";
        };
    }
}
