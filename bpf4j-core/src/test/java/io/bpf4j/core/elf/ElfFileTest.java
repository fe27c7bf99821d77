package io.bpf4j.core.elf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class ElfFileTest {

    static List<String> fixtures() {
        return Fixtures.names();
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void readsHeaderSectionsSymbolsAndRelocationsAsLlvmReadelfDoes(String fixture) {
        ElfFile elf = ElfFile.read(Fixtures.object(fixture));
        assertThat(elf.machine()).isEqualTo(ElfFile.EM_BPF);
        assertThat(elf.type()).isEqualTo(ElfFile.ET_REL);
        assertThat(elf.byteOrder()).isEqualTo(ByteOrder.LITTLE_ENDIAN);

        String readelf = Fixtures.run(List.of("llvm-readelf-19", "-S", "-s", "-r", "--wide",
                Fixtures.object(fixture).toString()));
        Matcher sections = Pattern.compile("There are (\\d+) section headers").matcher(readelf);
        assertThat(sections.find()).isTrue();
        assertThat(elf.sections()).hasSize(Integer.parseInt(sections.group(1)));
        for (ElfSection s : elf.sections()) {
            if (s.index() > 0) assertThat(readelf).contains("] " + s.name() + " ");
        }
        Matcher symbols = Pattern.compile("Symbol table '.symtab' contains (\\d+) entries").matcher(readelf);
        assertThat(symbols.find()).isTrue();
        assertThat(elf.symbols()).hasSize(Integer.parseInt(symbols.group(1)));
        Matcher rel = Pattern.compile("Relocation section '(.+?)' at offset 0x[0-9a-f]+ contains (\\d+) entr")
                .matcher(readelf);
        int relocationSections = 0;
        while (rel.find()) {
            ElfSection s = elf.section(rel.group(1)).orElseThrow();
            assertThat(elf.relocations(s)).as(s.name()).hasSize(Integer.parseInt(rel.group(2)));
            relocationSections++;
        }
        assertThat(relocationSections).isPositive();
    }

    @Test
    void symbolsCarryNameSectionBindingTypeAndVisibility() {
        ElfFile elf = ElfFile.read(Fixtures.object("subprograms"));
        ElfSection text = elf.section(".text").orElseThrow();
        ElfSymbol addTwice = elf.symbols().stream().filter(s -> s.name().equals("add_twice")).findFirst().orElseThrow();
        assertThat(addTwice.section()).isEqualTo(text.index());
        assertThat(addTwice.isFunction()).isTrue();
        assertThat(addTwice.binding()).isEqualTo(ElfSymbol.STB_GLOBAL);
        assertThat(addTwice.visibility()).isEqualTo(ElfSymbol.STV_DEFAULT);
        assertThat(addTwice.size()).isEqualTo(4 * 8);
        ElfSymbol twice = elf.symbols().stream().filter(s -> s.name().equals("twice")).findFirst().orElseThrow();
        assertThat(twice.binding()).isEqualTo(ElfSymbol.STB_LOCAL);
        assertThat(twice.value()).isEqualTo(4 * 8);

        ElfSection socket = elf.section("socket").orElseThrow();
        List<ElfRelocation> calls = elf.relocationsFor(socket);
        assertThat(calls).extracting(ElfRelocation::type).containsOnly(ElfRelocation.R_BPF_64_32);
        assertThat(calls).extracting(r -> r.symbol().name()).containsExactly("add_twice", ".text", ".text",
                "add_twice");
        assertThat(calls).extracting(ElfRelocation::offset).containsExactly(0x10L, 0x28L, 0x48L, 0x68L);
    }

    @Test
    void readsNotesOfAUserSpaceLibrary() throws Exception {
        Path libjvm = Path.of(System.getProperty("java.home"), "lib/server/libjvm.so");
        assumeTrue(Files.exists(libjvm), "needs the running JDK's libjvm.so");
        ElfFile elf = ElfFile.read(libjvm);
        assertThat(elf.machine()).isIn(62, 183); // x86-64 or AArch64
        assertThat(elf.type()).isEqualTo(ElfFile.ET_DYN);
        ElfSection gnuId = elf.section(".note.gnu.build-id").orElseThrow();
        assertThat(elf.notes(gnuId)).singleElement().satisfies(n -> {
            assertThat(n.name()).isEqualTo("GNU");
            assertThat(n.type()).isEqualTo(3); // NT_GNU_BUILD_ID
        });
        elf.section(".note.stapsdt").ifPresent(s ->
                assertThat(elf.notes(s)).isNotEmpty().allSatisfy(n -> assertThat(n.name()).isEqualTo("stapsdt")));
    }

    @Test
    void malformedInputIsAnElfExceptionSayingWhereAndWhat() {
        assertThatThrownBy(() -> ElfFile.parse(new byte[10]))
                .isInstanceOf(ElfException.class).hasMessageContaining("shorter than the 64-byte ELF64 header");
        assertThatThrownBy(() -> ElfFile.parse(new byte[64]))
                .isInstanceOf(ElfException.class).hasMessageContaining("0x7f 'E' 'L' 'F'");
        byte[] elf = Fixtures.bytes("xdp_rodata");
        byte[] truncated = java.util.Arrays.copyOf(elf, elf.length - 100);
        assertThatThrownBy(() -> ElfFile.parse(truncated))
                .isInstanceOf(ElfException.class).hasMessageContaining("truncated").hasMessageContaining("offset");
        byte[] elf32 = elf.clone();
        elf32[4] = 1;
        assertThatThrownBy(() -> ElfFile.parse(elf32))
                .isInstanceOf(ElfException.class).hasMessageContaining("32-bit");
        ElfException e = org.junit.jupiter.api.Assertions.assertThrows(ElfException.class,
                () -> ElfFile.parse(new byte[3]));
        assertThat(e.format()).isEqualTo("ELF");
    }
}
