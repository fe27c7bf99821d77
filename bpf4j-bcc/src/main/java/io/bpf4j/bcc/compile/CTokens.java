package io.bpf4j.bcc.compile;

import java.util.ArrayList;
import java.util.List;

/**
 * C source split into tokens that, joined, give the source back exactly: whitespace, comments and preprocessor
 * lines are tokens too, so a rewrite that replaces the text of some tokens keeps every other byte (and every line
 * break) where it was.
 */
final class CTokens {
    enum Kind { SPACE, COMMENT, DIRECTIVE, IDENT, NUMBER, STRING, CHAR, PUNCT }

    /** One token; {@code out} is what the rewrite emits for it (its text unless replaced). */
    static final class Token {
        final Kind kind;
        final String text;
        final int line;
        final int col;
        String out;

        Token(Kind kind, String text, int line, int col) {
            this.kind = kind;
            this.text = text;
            this.line = line;
            this.col = col;
            this.out = text;
        }

        boolean is(String s) {
            return text.equals(s) && kind != Kind.STRING && kind != Kind.CHAR && kind != Kind.COMMENT;
        }

        boolean significant() {
            return kind != Kind.SPACE && kind != Kind.COMMENT && kind != Kind.DIRECTIVE;
        }

        @Override
        public String toString() {
            return text;
        }
    }

    private static final String[] PUNCTS = {"<<=", ">>=", "...", "->", "++", "--", "<<", ">>", "<=", ">=", "==",
            "!=", "&&", "||", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "##"};

    private CTokens() {
    }

    static List<Token> tokenize(String src) {
        List<Token> out = new ArrayList<>();
        int i = 0;
        int line = 1;
        int col = 1;
        boolean lineStart = true; // only whitespace so far on this line: a '#' starts a directive
        int n = src.length();
        while (i < n) {
            char c = src.charAt(i);
            int start = i;
            Kind kind;
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0x0b) {
                while (i < n && Character.isWhitespace(src.charAt(i))) i++;
                kind = Kind.SPACE;
            } else if (c == '/' && i + 1 < n && src.charAt(i + 1) == '/') {
                while (i < n && src.charAt(i) != '\n') i++;
                kind = Kind.COMMENT;
            } else if (c == '/' && i + 1 < n && src.charAt(i + 1) == '*') {
                int end = src.indexOf("*/", i + 2);
                i = end < 0 ? n : end + 2;
                kind = Kind.COMMENT;
            } else if (c == '#' && lineStart) {
                // up to the end of the line, through backslash continuations; the newline stays outside
                while (i < n && src.charAt(i) != '\n') {
                    if (src.charAt(i) == '\\' && i + 1 < n && src.charAt(i + 1) == '\n') i++;
                    else if (src.startsWith("/*", i)) {
                        int end = src.indexOf("*/", i + 2);
                        i = end < 0 ? n - 1 : end + 1;
                    }
                    i++;
                }
                kind = Kind.DIRECTIVE;
            } else if (Character.isLetter(c) || c == '_') {
                while (i < n && (Character.isLetterOrDigit(src.charAt(i)) || src.charAt(i) == '_')) i++;
                kind = Kind.IDENT;
                if (i < n && (src.charAt(i) == '"' || src.charAt(i) == '\'') && isEncodingPrefix(src, start, i)) {
                    char q = src.charAt(i);
                    i = skipQuoted(src, i, q);
                    kind = q == '"' ? Kind.STRING : Kind.CHAR;
                }
            } else if (Character.isDigit(c) || (c == '.' && i + 1 < n && Character.isDigit(src.charAt(i + 1)))) {
                while (i < n) {
                    char d = src.charAt(i);
                    if (Character.isLetterOrDigit(d) || d == '.' || d == '_') i++;
                    else if ((d == '+' || d == '-') && "eEpP".indexOf(src.charAt(i - 1)) >= 0) i++;
                    else break;
                }
                kind = Kind.NUMBER;
            } else if (c == '"' || c == '\'') {
                i = skipQuoted(src, i, c);
                kind = c == '"' ? Kind.STRING : Kind.CHAR;
            } else {
                int len = 1;
                for (String p : PUNCTS) {
                    if (src.startsWith(p, i)) {
                        len = p.length();
                        break;
                    }
                }
                i += len;
                kind = Kind.PUNCT;
            }
            String text = src.substring(start, i);
            out.add(new Token(kind, text, line, col));
            for (int k = 0; k < text.length(); k++) {
                if (text.charAt(k) == '\n') {
                    line++;
                    col = 1;
                    lineStart = true;
                } else {
                    col++;
                }
            }
            if (kind != Kind.SPACE && kind != Kind.COMMENT) lineStart = false;
        }
        return out;
    }

    private static boolean isEncodingPrefix(String src, int start, int end) {
        String p = src.substring(start, end);
        return p.equals("L") || p.equals("u") || p.equals("U") || p.equals("u8");
    }

    private static int skipQuoted(String src, int i, char quote) {
        int n = src.length();
        i++;
        while (i < n && src.charAt(i) != quote && src.charAt(i) != '\n') {
            if (src.charAt(i) == '\\' && i + 1 < n) i++;
            i++;
        }
        return Math.min(n, i + 1);
    }
}
