package io.bpf4j.bpftrace;

import io.bpf4j.bpftrace.check.Type;
import io.bpf4j.bpftrace.runtime.Printf;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PrintfTest {
    @Test
    void formatsLikeC() {
        assertThat(Printf.format("%d|%5d|%-5d|%05d|%u|%x|%#x|%X|%c|%s|%-4s|%.2s|%%|%p|%lu|%llu",
                List.of(-3L, 42L, 42L, -42L, -1L, 255L, 255L, 255L, 65L, "str", "ab", "abc", 4096L, 7L, 8L)))
                .isEqualTo("-3|   42|42   |-0042|18446744073709551615|ff|0xff|FF|A|str|ab  |ab|%|0x1000|7|8");
    }

    @Test
    void checksConversionsAgainstArguments() {
        Printf.check("%s %d", List.of(new Type.Str(16), Type.Int.U64));
        assertThatThrownBy(() -> Printf.check("%d", List.of(new Type.Str(16)))).hasMessageContaining("use %s");
        assertThatThrownBy(() -> Printf.check("%q", List.of(Type.Int.U64))).hasMessageContaining("unsupported");
        assertThatThrownBy(() -> Printf.check("%d %d", List.of(Type.Int.U64))).hasMessageContaining("2 conversions");
    }
}
