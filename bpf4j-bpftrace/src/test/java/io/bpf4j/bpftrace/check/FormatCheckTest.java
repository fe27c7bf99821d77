package io.bpf4j.bpftrace.check;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FormatCheckTest {
    @Test
    void checksConversionsAgainstArguments() {
        assertThatCode(() -> Checker.checkFormat("%s %d", List.of(new Type.Str(16), Type.Int.U64)))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> Checker.checkFormat("%d", List.of(new Type.Str(16)))).hasMessageContaining("use %s");
        assertThatThrownBy(() -> Checker.checkFormat("%q", List.of(Type.Int.U64))).hasMessageContaining("unsupported");
        assertThatThrownBy(() -> Checker.checkFormat("%d %d", List.of(Type.Int.U64)))
                .hasMessageContaining("2 conversions");
    }
}
