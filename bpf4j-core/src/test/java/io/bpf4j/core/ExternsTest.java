package io.bpf4j.core;

import io.bpf4j.core.elf.Fixtures;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.object.ObjectSpec;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;

import static io.bpf4j.core.Externs.KconfigType.BOOL;
import static io.bpf4j.core.Externs.KconfigType.CHAR;
import static io.bpf4j.core.Externs.KconfigType.CHAR_ARRAY;
import static io.bpf4j.core.Externs.KconfigType.INT;
import static io.bpf4j.core.Externs.KconfigType.TRISTATE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@code .kconfig} layout and value conversions, without the kernel. */
class ExternsTest {

    /** A kernel configuration given as a map. */
    private record Config(Map<String, String> options) implements Externs.KconfigSource {
        @Override
        public String option(String name) {
            return options.get(name);
        }

        @Override
        public String missing(String name) {
            return name + " is not set in the test config";
        }

        @Override
        public Long virtual(String name) {
            return name.equals("LINUX_KERNEL_VERSION") ? 0x061200L : null;
        }
    }

    private static Externs.KconfigVariable var(String name, int offset, int size, Externs.KconfigType type,
                                               boolean signed, boolean weak) {
        return new Externs.KconfigVariable(name, offset, size, size, type, signed, weak);
    }

    @Test
    void layoutIsLibbpfs() {
        ObjectSpec spec = ObjectSpec.read(Fixtures.object("externs"));
        List<Externs.KconfigVariable> layout = Externs.kconfigLayout(spec);
        // descending alignment, then ascending size, then name
        assertThat(layout).extracting(Externs.KconfigVariable::name).containsExactly(
                "CONFIG_BPF4J_NO_SUCH_OPTION", "CONFIG_BPF_SYSCALL_TRI", "CONFIG_HZ", "LINUX_KERNEL_VERSION",
                "CONFIG_BPF_SYSCALL", "CONFIG_KPROBES", "LINUX_HAS_BPF_COOKIE", "CONFIG_LOCALVERSION");
        assertThat(layout).extracting(Externs.KconfigVariable::offset).containsExactly(0, 8, 12, 16, 20, 21, 22, 23);
        assertThat(layout).extracting(Externs.KconfigVariable::type).containsExactly(
                INT, TRISTATE, INT, INT, BOOL, BOOL, BOOL, CHAR_ARRAY);
        assertThat(Externs.kconfigSize(layout)).isEqualTo(39);
    }

    @Test
    void valuesAreConvertedAsLibbpfDoes() {
        List<Externs.KconfigVariable> layout = List.of(
                var("CONFIG_A", 0, 8, INT, false, false),
                var("CONFIG_B", 8, 4, TRISTATE, false, false),
                var("CONFIG_C", 12, 4, INT, true, false),
                var("LINUX_KERNEL_VERSION", 16, 4, INT, false, false),
                var("CONFIG_D", 20, 1, BOOL, false, false),
                var("CONFIG_E", 21, 1, CHAR, false, false),
                var("CONFIG_MISSING", 22, 1, BOOL, false, true),
                var("CONFIG_S", 23, 6, CHAR_ARRAY, false, false));
        byte[] value = Externs.kconfigValue(layout, new Config(Map.of("CONFIG_A", "0x10", "CONFIG_B", "m",
                "CONFIG_C", "-3", "CONFIG_D", "y", "CONFIG_E", "m", "CONFIG_S", "\"abcdefgh\"")));
        ByteBuffer b = ByteBuffer.wrap(value).order(ByteOrder.nativeOrder());
        assertThat(b.getLong(0)).isEqualTo(16);
        assertThat(b.getInt(8)).isEqualTo(2);
        assertThat(b.getInt(12)).isEqualTo(-3);
        assertThat(b.getInt(16)).isEqualTo(0x061200);
        assertThat(b.get(20)).isEqualTo((byte) 1);
        assertThat(b.get(21)).isEqualTo((byte) 'm');
        assertThat(b.get(22)).isZero();
        assertThat(new String(value, 23, 6)).isEqualTo("abcde\0"); // truncated, NUL-terminated
    }

    @Test
    void missingNonWeakOptionIsNamed() {
        List<Externs.KconfigVariable> layout = List.of(var("CONFIG_NOPE", 0, 1, BOOL, false, false));
        assertThatThrownBy(() -> Externs.kconfigValue(layout, new Config(Map.of())))
                .isInstanceOf(BpfException.class).hasMessageContaining("CONFIG_NOPE")
                .hasMessageContaining("__weak");
    }

    @Test
    void valuesThatDoNotFitAreRefused() {
        assertThatThrownBy(() -> Externs.kconfigValue(List.of(var("CONFIG_X", 0, 1, INT, false, false)),
                new Config(Map.of("CONFIG_X", "300")))).hasMessageContaining("does not fit");
        assertThatThrownBy(() -> Externs.kconfigValue(List.of(var("CONFIG_X", 0, 1, BOOL, false, false)),
                new Config(Map.of("CONFIG_X", "m")))).hasMessageContaining("libbpf_tristate");
        assertThatThrownBy(() -> Externs.kconfigValue(List.of(var("LINUX_FOO", 0, 1, BOOL, false, false)),
                new Config(Map.of()))).hasMessageContaining("LINUX_FOO");
    }

    @Test
    void kernelVersionFollowsLibbpf() {
        assertThat(Externs.kernelVersion("6.18.44-fc-v669")).isEqualTo((6 << 16) + (18 << 8) + 44);
        assertThat(Externs.kernelVersion("4.19.300")).isEqualTo((4 << 16) + (19 << 8) + 255);
        assertThat(Externs.kernelVersion("6.1")).isEqualTo((6 << 16) + (1 << 8));
        assertThat(Externs.kernelVersion("weird")).isZero();
    }
}
