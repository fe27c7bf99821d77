package io.bpf4j.bpftrace.parse;

import io.bpf4j.bpftrace.ast.Position;
import io.bpf4j.bpftrace.ast.SourceException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Splits bpftrace source into tokens on demand. Attach points are not tokens of the expression language
 * ({@code uprobe:/bin/bash:readline} holds slashes and colons), so the parser reads them raw with
 * {@link #attachPoint()} where the grammar expects one.
 */
final class Lexer {
    /** Operators, longest first so that the longest match wins. */
    private static final List<String> PUNCT = List.of(
            "<<=", ">>=", "->", "++", "--", "==", "!=", "<=", ">=", "&&", "||", "<<", ">>", "+=", "-=", "*=", "/=",
            "%=", "&=", "|=", "^=",
            "{", "}", "(", ")", "[", "]", ",", ";", ":", "?", "=", "+", "-", "*", "/", "%", "&", "|", "^", "!", "~",
            "<", ">", ".");

    /** The address families of {@code <sys/socket.h>} and the kernel's {@code <linux/socket.h>} (ABI values). */
    private static final Map<String, String> ADDRESS_FAMILIES = Map.of("AF_UNSPEC", "0", "AF_UNIX", "1",
            "AF_INET", "2", "AF_INET6", "10");
    /**
     * Macros of the headers bpftrace's own tools include, which BTF cannot give (it has types and enumerators, not
     * macros): with them runqlat.bt ({@code TASK_RUNNING}) and tcpdrop.bt ({@code AF_INET}) need no kernel headers.
     * The task states are the kernel's {@code __state} bits (include/linux/sched.h).
     */
    private static final Map<String, Map<String, String>> HEADER_MACROS = Map.of(
            "linux/sched.h", Map.of("TASK_RUNNING", "0", "TASK_INTERRUPTIBLE", "1", "TASK_UNINTERRUPTIBLE", "2",
                    "__TASK_STOPPED", "4", "__TASK_TRACED", "8", "EXIT_DEAD", "16", "EXIT_ZOMBIE", "32",
                    "TASK_PARKED", "64", "TASK_DEAD", "128"),
            "linux/socket.h", ADDRESS_FAMILIES,
            "net/sock.h", ADDRESS_FAMILIES,
            "sys/socket.h", ADDRESS_FAMILIES);

    private final String src;
    /** {@code #define NAME VALUE} lines seen so far. */
    private final Map<String, String> defines = new HashMap<>();
    private int pos;
    private int line = 1;
    private int lineStart;

    Lexer(String src) {
        this.src = src;
    }

    Position position() {
        return new Position(line, pos - lineStart + 1);
    }

    /** Skips blanks, comments, and (at the start of a line) preprocessor lines and the {@code #!} line. */
    void skipSpace() {
        while (pos < src.length()) {
            char c = src.charAt(pos);
            if (c == '\n') {
                pos++;
                line++;
                lineStart = pos;
            } else if (Character.isWhitespace(c)) {
                pos++;
            } else if (c == '#' && src.substring(lineStart, pos).isBlank()) {
                // '#!', '#include' and '#define' lines: there is no C preprocessor here. Kernel headers are not
                // needed (types come from kernel BTF); a header that exists nowhere is an error, as with clang.
                Position at = position();
                int from = pos;
                while (pos < src.length() && src.charAt(pos) != '\n') pos++;
                directive(src.substring(from, pos).strip(), at);
            } else if (src.startsWith("//", pos)) {
                while (pos < src.length() && src.charAt(pos) != '\n') pos++;
            } else if (src.startsWith("/*", pos)) {
                Position start = position();
                int end = src.indexOf("*/", pos + 2);
                if (end < 0) throw new SourceException(start, "unterminated comment");
                while (pos < end + 2) advance();
            } else {
                return;
            }
        }
    }

    private void directive(String line, Position at) {
        String[] words = line.substring(1).strip().split("\\s+", 3);
        if (words[0].equals("define") && words.length >= 2) {
            defines.put(words[1], words.length == 3 ? words[2].strip() : "");
        } else if (words[0].equals("include") && words.length >= 2) {
            String header = words[1].replaceAll("^[<\"]|[>\"]$", "");
            boolean kernel = header.startsWith("linux/") || header.startsWith("net/") || header.startsWith("asm/")
                    || header.startsWith("uapi/") || header.startsWith("asm-generic/");
            boolean found = kernel || Files.exists(Path.of(header)) || Files.exists(Path.of("/usr/include", header))
                    || Files.exists(Path.of("/usr/local/include", header))
                    || Files.exists(Path.of("/usr/include/x86_64-linux-gnu", header));
            if (!found) throw new SourceException(at, "'" + header + "' file not found");
            HEADER_MACROS.getOrDefault(header, Map.of()).forEach(defines::putIfAbsent);
        }
    }

    /** The single token a macro's value is: an integer or a string literal (else an identifier as written). */
    static Token literal(String value, Position at) {
        Lexer l = new Lexer(value);
        Token t = l.next();
        return new Token(t.kind(), t.text(), t.value(), at);
    }

    /** The value of {@code #define name}, if the program defined it. */
    String define(String name) {
        return defines.get(name);
    }

    /**
     * A C struct or union definition ({@code struct Foo { … };}) if one starts here, as text; else null and
     * nothing is consumed.
     */
    String definition() {
        skipSpace();
        if (!src.startsWith("struct", pos) && !src.startsWith("union", pos)) return null;
        int brace = src.indexOf('{', pos);
        if (brace < 0 || !src.substring(pos, brace).matches("(struct|union)\\s+[A-Za-z_]\\w*\\s*")) return null;
        int depth = 0;
        int i = brace;
        for (; i < src.length(); i++) {
            if (src.charAt(i) == '{') depth++;
            else if (src.charAt(i) == '}' && --depth == 0) break;
        }
        if (i >= src.length()) throw new SourceException(position(), "unterminated struct definition");
        String text = src.substring(pos, i + 1);
        while (pos <= i) advance();
        skipSpace();
        if (pos < src.length() && src.charAt(pos) == ';') pos++;
        return text;
    }

    private void advance() {
        if (src.charAt(pos) == '\n') {
            line++;
            lineStart = pos + 1;
        }
        pos++;
    }

    boolean atEnd() {
        skipSpace();
        return pos >= src.length();
    }

    /** The next character after blanks, or 0 at the end. */
    char peekChar() {
        skipSpace();
        return pos < src.length() ? src.charAt(pos) : 0;
    }

    /**
     * An attach point as written: everything up to a blank, a comma or a brace outside double quotes (where a
     * backslash escapes the next character).
     */
    Token attachPoint() {
        skipSpace();
        Position start = position();
        int from = pos;
        boolean quoted = false;
        while (pos < src.length()) {
            char c = src.charAt(pos);
            if (c == '\\' && quoted && pos + 1 < src.length()) pos++;
            else if (c == '"') quoted = !quoted;
            else if (!quoted && (Character.isWhitespace(c) || c == ',' || c == '{')) break;
            pos++;
        }
        if (pos == from) throw new SourceException(start, "expected an attach point such as BEGIN or "
                + "tracepoint:syscalls:sys_enter_openat, found " + (pos < src.length() ? "'" + src.charAt(pos) + "'"
                : "end of input"));
        return new Token(Token.Kind.IDENT, src.substring(from, pos), 0, start);
    }

    Token next() {
        skipSpace();
        Position start = position();
        if (pos >= src.length()) return new Token(Token.Kind.EOF, "", 0, start);
        char c = src.charAt(pos);
        if (Character.isLetter(c) || c == '_') {
            return new Token(Token.Kind.IDENT, word(), 0, start);
        }
        if (Character.isDigit(c)) return number(start);
        if (c == '"') return string(start);
        if (c == '@') {
            pos++;
            return new Token(Token.Kind.MAP, "@" + word(), 0, start);
        }
        if (c == '$') {
            pos++;
            if (pos < src.length() && src.charAt(pos) == '#') {
                pos++;
                return new Token(Token.Kind.POSITIONAL, "$#", 0, start);
            }
            if (pos < src.length() && Character.isDigit(src.charAt(pos))) {
                int from = pos;
                while (pos < src.length() && Character.isDigit(src.charAt(pos))) pos++;
                return new Token(Token.Kind.POSITIONAL, "$" + src.substring(from, pos),
                        Long.parseLong(src.substring(from, pos)), start);
            }
            String name = word();
            if (name.isEmpty()) throw new SourceException(start, "'$' must start a variable name such as $x, "
                    + "or a positional parameter such as $1");
            return new Token(Token.Kind.VAR, "$" + name, 0, start);
        }
        for (String p : PUNCT) {
            if (src.startsWith(p, pos)) {
                pos += p.length();
                return new Token(Token.Kind.PUNCT, p, 0, start);
            }
        }
        throw new SourceException(start, "unexpected character '" + c + "'");
    }

    private String word() {
        int from = pos;
        while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_')) pos++;
        return src.substring(from, pos);
    }

    private Token number(Position start) {
        int from = pos;
        while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_')) pos++;
        String text = src.substring(from, pos);
        String digits = text.replace("_", "");
        try {
            long value;
            if (digits.startsWith("0x") || digits.startsWith("0X")) {
                value = Long.parseUnsignedLong(digits.substring(2), 16);
            } else if (digits.matches("\\d+e\\d+")) {
                // bpftrace's 1e6 notation: an integer times a power of ten
                String[] parts = digits.split("e");
                value = Long.parseLong(parts[0]) * (long) Math.pow(10, Integer.parseInt(parts[1]));
            } else if (digits.length() > 1 && digits.startsWith("0")) {
                value = Long.parseUnsignedLong(digits.substring(1), 8);
            } else {
                value = Long.parseUnsignedLong(digits);
            }
            return new Token(Token.Kind.INT, text, value, start);
        } catch (NumberFormatException e) {
            throw new SourceException(start, "invalid integer literal '" + text + "'");
        }
    }

    private Token string(Position start) {
        pos++;
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= src.length() || src.charAt(pos) == '\n') {
                throw new SourceException(start, "unterminated string");
            }
            char c = src.charAt(pos++);
            if (c == '"') break;
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (pos >= src.length()) throw new SourceException(start, "unterminated string");
            char e = src.charAt(pos++);
            switch (e) {
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case '\\' -> sb.append('\\');
                case '"' -> sb.append('"');
                case '\'' -> sb.append('\'');
                case 'x' -> {
                    int from = pos;
                    while (pos < src.length() && pos < from + 2 && Character.digit(src.charAt(pos), 16) >= 0) pos++;
                    if (pos == from) throw new SourceException(start, "\\x needs hexadecimal digits");
                    sb.append((char) Integer.parseInt(src.substring(from, pos), 16));
                }
                default -> {
                    if (e >= '0' && e <= '7') {
                        int from = pos - 1;
                        while (pos < src.length() && pos < from + 3 && src.charAt(pos) >= '0' && src.charAt(pos) <= '7') {
                            pos++;
                        }
                        sb.append((char) Integer.parseInt(src.substring(from, pos), 8));
                    } else {
                        throw new SourceException(start, "unknown escape sequence '\\" + e + "'");
                    }
                }
            }
        }
        return new Token(Token.Kind.STRING, sb.toString(), 0, start);
    }
}
