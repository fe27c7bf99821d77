package io.bpf4j.core.symbols;

/**
 * Demangles C++ symbol names mangled as the Itanium C++ ABI specifies (GCC's and Clang's on every platform but
 * Windows), printing them as GNU binutils' {@code c++filt} does: {@code _ZN9JavaCalls4callEP9JavaValueRK12methodHandleP17JavaCallArgumentsP10JavaThread}
 * becomes {@code JavaCalls::call(JavaValue*, methodHandle const&, JavaCallArguments*, JavaThread*)}, and the
 * standard library's abbreviations are spelled out ({@code std::basic_string<char, std::char_traits<char>,
 * std::allocator<char> >}), as {@code c++filt} does by default.
 *
 * <p>Clone suffixes the compiler appends to a function it specialised or split are kept, as {@code c++filt} shows
 * them: {@code _Z1fv.part.0.cold} is {@code f() [clone .part.0] [clone .cold]}. A symbol version
 * ({@code @@GLIBCXX_3.4}) after the name is kept as it is.
 */
public final class Demangler {
    private Demangler() {
    }

    /**
     * The demangled form of {@code symbol}, or {@code symbol} itself when it is not a mangled C++ name or cannot be
     * parsed (a C function, a truncated or corrupt name, a construct this demangler does not know). Never throws.
     */
    public static String demangle(String symbol) {
        if (symbol == null || symbol.length() < 3) return symbol;
        if (!symbol.startsWith("_Z") && !symbol.startsWith("_GLOBAL_")) return symbol;
        try {
            int at = symbol.indexOf('@');
            if (at > 0) {
                String head = symbol.substring(0, at);
                String d = ItaniumParser.demangle(head);
                return d == null ? symbol : d + symbol.substring(at);
            }
            String d = ItaniumParser.demangle(symbol);
            return d == null ? symbol : d;
        } catch (RuntimeException | StackOverflowError e) {
            // a malformed name deep enough or odd enough to break the parser: callers get the name as it was
            return symbol;
        }
    }
}
