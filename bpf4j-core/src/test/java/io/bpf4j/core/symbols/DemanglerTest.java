package io.bpf4j.core.symbols;

import io.bpf4j.core.elf.ElfFile;
import io.bpf4j.core.elf.ElfSymbol;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The Itanium C++ demangler against GNU c++filt: a committed sample of its output (kernel-free, always runs), all
 * of HotSpot's libjvm.so when c++filt and Temurin 25 are installed, and inputs that are not mangled names.
 */
class DemanglerTest {
    private static final Path CXXFILT = Path.of("/usr/bin/c++filt");
    private static final Path LIBJVM = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64/lib/server/libjvm.so");

    @Test
    void everyPairOfTheCxxfiltFixtureMatches() throws IOException {
        // made by src/test/resources/demangle/generate.sh from libjvm.so and libstdc++ (see its header)
        List<String> lines;
        try (InputStream in = getClass().getResourceAsStream("/demangle/cxxfilt-pairs.tsv")) {
            assertThat(in).as("the fixture resource").isNotNull();
            lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
        List<String> mismatches = new ArrayList<>();
        int pairs = 0;
        for (String line : lines) {
            if (line.startsWith("#")) continue;
            int tab = line.indexOf('\t');
            String mangled = line.substring(0, tab), expected = line.substring(tab + 1);
            pairs++;
            String got = Demangler.demangle(mangled);
            if (!got.equals(expected)) mismatches.add(mangled + "\n  c++filt: " + expected + "\n  bpf4j:   " + got);
        }
        assertThat(pairs).as("pairs in the fixture").isGreaterThan(4000);
        assertThat(mismatches).as("names demangled otherwise than c++filt does").isEmpty();
    }

    @Test
    void allOfLibjvmsSymbolsMatchCxxfilt(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(CXXFILT), CXXFILT + " (GNU binutils) is not installed");
        assumeTrue(Files.isReadable(LIBJVM), LIBJVM + " (Temurin 25) is not installed");
        TreeSet<String> unique = new TreeSet<>();
        for (ElfSymbol s : ElfFile.read(LIBJVM).symbols()) if (!s.name().isEmpty()) unique.add(s.name());
        List<String> names = List.copyOf(unique);
        Path in = Files.write(dir.resolve("symbols.txt"), names);
        Process p = new ProcessBuilder(CXXFILT.toString()).redirectInput(in.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        List<String> expected = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines()
                .toList();
        assertThat(p.waitFor()).as("c++filt's exit status").isZero();
        assertThat(expected).as("c++filt's output lines").hasSameSizeAs(names);

        long start = System.nanoTime();
        List<String> got = new ArrayList<>(names.size());
        for (String n : names) got.add(Demangler.demangle(n));
        long firstPass = System.nanoTime() - start;
        List<String> mismatches = new ArrayList<>();
        int mangled = 0;
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i).startsWith("_Z")) mangled++;
            if (!got.get(i).equals(expected.get(i))) {
                mismatches.add(names.get(i) + "\n  c++filt: " + expected.get(i) + "\n  bpf4j:   " + got.get(i));
            }
        }
        System.out.printf("libjvm.so: %d symbols (%d mangled), %d demangled as c++filt does (%.3f%%), "
                        + "first pass over all of them in %d ms%n", names.size(), mangled,
                names.size() - mismatches.size(), 100.0 * (names.size() - mismatches.size()) / names.size(),
                firstPass / 1_000_000);
        assertThat(mismatches).as("libjvm.so symbols demangled otherwise than c++filt does").isEmpty();
    }

    @Test
    void namesRealProgramsHavePrintAsCxxfiltPrintsThem() {
        String[][] cases = {
                {"_ZN9JavaCalls11call_helperEP9JavaValueRK12methodHandleP17JavaCallArgumentsP10JavaThread",
                        "JavaCalls::call_helper(JavaValue*, methodHandle const&, JavaCallArguments*, JavaThread*)"},
                {"_ZN2ns5Klass6methodEi", "ns::Klass::method(int)"},
                {"_ZNK2ns5KlassIiE3getEv", "ns::Klass<int>::get() const"},
                {"_ZNKR1A1fEv", "A::f() const &"},
                {"_ZN1AD0Ev", "A::~A()"},
                {"_ZN1AplERKS_", "A::operator+(A const&)"},
                {"_ZN1AcviEv", "A::operator int()"},
                {"_ZTV6Thread", "vtable for Thread"},
                {"_ZTI6Thread", "typeinfo for Thread"},
                {"_ZTS6Thread", "typeinfo name for Thread"},
                {"_ZThn8_N1A1fEv", "non-virtual thunk to A::f()"},
                {"_ZTv0_n24_N1A1fEv", "virtual thunk to A::f()"},
                {"_ZGVZN2os4initEvE4once", "guard variable for os::init()::once"},
                {"_Z1fv.part.0.cold", "f() [clone .part.0] [clone .cold]"},
                {"_ZNSsC1Ev", "std::basic_string<char, std::char_traits<char>, std::allocator<char> >::basic_string()"},
                {"_ZNSt6vectorIiSaIiEE9push_backERKi", "std::vector<int, std::allocator<int> >::push_back(int const&)"},
                {"_Z3useIJicEEvDpT_", "void use<int, char>(int, char)"},
                {"_Z5applyPFviEPA4_KcM1AKFvvE", "apply(void (*)(int), char const (*) [4], void (A::*)() const)"},
                {"_ZN12_GLOBAL__N_14workEv", "(anonymous namespace)::work()"},
                {"_ZZ4mainENKUliE_clEi", "main::{lambda(int)#1}::operator()(int) const"},
                {"_Z1fILi5ELb1EEvv", "void f<5, true>()"},
        };
        for (String[] c : cases) assertThat(Demangler.demangle(c[0])).as(c[0]).isEqualTo(c[1]);
    }

    @Test
    void namesThatAreNotMangledOrCannotBeParsedComeBackUnchanged() {
        for (String s : List.of("", "main", "__libc_start_main", "_Z", "_Zfoo", "_ZN3fooE_", "_ZN", "_ZZ",
                "_Z1fIiEvT_.", "_Z1fv$x", "_ZSt4endlIcSt11char_traitsIcEERSoS3_", "JavaCalls::call_helper",
                "_Z3fooIXsrT_1xEEvv", "_ZN1AIiE", "_Z9", "_Z1fS9_", "_Z1fT_", "Interpreter", "_Z\u00e9t\u00e9")) {
            assertThat(Demangler.demangle(s)).as(s).isEqualTo(s);
        }
        assertThat(Demangler.demangle(null)).isNull();
    }

    @Test
    void everyPrefixOfARealNameIsHandledWithoutThrowing() {
        String name = "_ZN21ResourceHashtableBaseI29FixedResourceHashtableStorageILj256EPKc11JVMCIObjectES2_S3_"
                + "LN6AnyObj15allocation_typeE1EL6MemTag9EXadL_ZN12CompilerToVM12cstring_hashERKS2_EEXadL_ZNS8_14"
                + "cstring_equalsESA_SA_EEE3putESA_RKS3_.isra.0";
        for (int i = 0; i <= name.length(); i++) {
            String prefix = name.substring(0, i);
            assertThatCode(() -> assertThat(Demangler.demangle(prefix)).isNotNull()).as(prefix)
                    .doesNotThrowAnyException();
        }
    }

    @Property(tries = 2000)
    void anythingAfterUnderscoreZNeverThrows(@ForAll("mangledLooking") String s) {
        assertThat(Demangler.demangle(s)).isNotNull();
    }

    @Property(tries = 500)
    void aNameNotStartingWithUnderscoreZComesBackAsItIs(@ForAll String s) {
        if (s.startsWith("_Z") || s.startsWith("_GLOBAL_")) return;
        assertThat(Demangler.demangle(s)).isEqualTo(s);
    }

    @Provide
    Arbitrary<String> mangledLooking() {
        // the grammar's own letters and digits, so that deep and odd parses are tried, not only early failures
        return Arbitraries.strings().withChars("NESZIJLXTDKVRPOFAMUabcdefghijklmnopqrstuvwxyz0123456789_.")
                .ofMaxLength(60).map(s -> "_Z" + s);
    }
}
