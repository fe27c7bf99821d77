package io.bpf4j.bpftrace;

import io.bpf4j.bpftrace.check.CTypes;
import io.bpf4j.bpftrace.check.Type;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The program's own C struct definitions and integer type names, laid out as C does on x86-64; kernel-free. */
class CTypesTest {
    @Test
    void structLayoutFollowsCAlignment() {
        CTypes c = new CTypes();
        c.define("struct Foo { int x; char c; }");
        Type.Record foo = c.record("struct Foo").orElseThrow();
        assertThat(foo.cSize()).isEqualTo(8);
        assertThat(foo.member("c").orElseThrow().offset()).isEqualTo(4);
        c.define("struct Bar { char a; long b; struct Foo f; int *p; unsigned short s[3]; }");
        Type.Record bar = c.record("struct Bar").orElseThrow();
        assertThat(bar.members().stream().map(Type.Member::offset).toList()).containsExactly(0, 8, 16, 24, 32);
        assertThat(bar.cSize()).isEqualTo(40);
        assertThat(bar.member("p").orElseThrow().type()).isEqualTo(new Type.Ptr(new Type.Int(4, true)));
    }

    @Test
    void bitfieldsArePackedIntoTheirUnits() {
        CTypes c = new CTypes();
        c.define("struct Foo { unsigned int a:4, b:8, c:3, d:1, e:16; }");
        Type.Record foo = c.record("struct Foo").orElseThrow();
        assertThat(foo.members().stream().map(Type.Member::bitOffset).toList()).containsExactly(0, 4, 12, 15, 16);
        assertThat(foo.cSize()).isEqualTo(4);
        c.define("struct Bar { short a:4, b:8, c:3, d:1; int e:9, f:15, g:1, h:2, i:5; }");
        Type.Record bar = c.record("struct Bar").orElseThrow();
        // e starts in the int unit after the shorts' 16 bits; f would straddle it and moves to the next
        assertThat(bar.member("e").orElseThrow().bitOffset()).isEqualTo(16);
        assertThat(bar.member("f").orElseThrow().bitOffset()).isEqualTo(32);
        assertThat(bar.member("i").orElseThrow().bitOffset()).isEqualTo(50);
    }

    @Test
    void integerNamesAndPointers() {
        CTypes c = new CTypes();
        assertThat(c.parse("uint8")).isEqualTo(new Type.Int(1, false));
        assertThat(c.parse("unsigned long long")).isEqualTo(new Type.Int(8, false));
        assertThat(c.parse("int16_t")).isEqualTo(new Type.Int(2, true));
        assertThat(c.parse("struct Foo **")).isEqualTo(new Type.Ptr(new Type.Ptr(new Type.Named("struct Foo"))));
        assertThatThrownBy(() -> c.parse("float")).hasMessageContaining("unknown type 'float'");
    }

    @Test
    void tuplesAreLaidOutAsStructs() {
        Type.Int i8 = new Type.Int(1, true);
        Type.Int i64 = new Type.Int(8, true);
        assertThat(new Type.Tuple(List.of(i8, i64, i8, i64)).cSize()).isEqualTo(32);
        assertThat(new Type.Tuple(List.of(i8, new Type.Int(2, true), new Type.Int(4, true))).cSize()).isEqualTo(8);
        assertThat(new Type.Tuple(List.of(i64, new Type.Str(8))).offsets()).containsExactly(0, 8);
    }
}
