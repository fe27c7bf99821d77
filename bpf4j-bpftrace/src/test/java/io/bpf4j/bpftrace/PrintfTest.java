package io.bpf4j.bpftrace;

import io.bpf4j.bpftrace.format.Printf;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class PrintfTest {
    @Test
    void formatsLikeC() {
        assertThat(Printf.format("%d|%5d|%-5d|%05d|%u|%x|%#x|%X|%c|%s|%-4s|%.2s|%%|%p|%lu|%llu",
                List.of(-3L, 42L, 42L, -42L, -1L, 255L, 255L, 255L, 65L, "str", "ab", "abc", 4096L, 7L, 8L)))
                .isEqualTo("-3|   42|42   |-0042|18446744073709551615|ff|0xff|FF|A|str|ab  |ab|%|0x1000|7|8");
    }
}
