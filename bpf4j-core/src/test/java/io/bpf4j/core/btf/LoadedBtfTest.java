package io.bpf4j.core.btf;

import io.bpf4j.core.kernel.LoadedBtf;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.error.Errno;
import io.bpf4j.core.KernelObjects;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@KernelTest
class LoadedBtfTest {
    /** BTF with one type: {@code int}, a signed 32-bit integer (kind INT = 1). */
    static byte[] intBtf(int bits) {
        byte[] strings = "\0int\0".getBytes();
        int typeLen = 16;
        ByteBuffer b = ByteBuffer.allocate(24 + typeLen + strings.length).order(ByteOrder.nativeOrder());
        b.putShort((short) 0xeB9F).put((byte) 1).put((byte) 0).putInt(24); // magic, version, flags, hdr_len
        b.putInt(0).putInt(typeLen).putInt(typeLen).putInt(strings.length); // type_off/len, str_off/len
        b.putInt(1).putInt(1 << 24).putInt(4); // name_off "int", info: kind INT, size 4
        b.putInt((1 << 24) | bits); // encoding SIGNED, offset 0, bits
        b.put(strings);
        return b.array();
    }

    @Test
    void loadsValidBtfAndListsItsId() {
        try (LoadedBtf btf = LoadedBtf.load(intBtf(32))) {
            assertThat(btf.fd()).isPositive();
            assertThat(KernelObjects.btfIds()).contains(btf.id());
            try (LoadedBtf again = LoadedBtf.fromId(btf.id())) {
                assertThat(again.fd()).isNotEqualTo(btf.fd());
                assertThat(again.id()).isEqualTo(btf.id());
            }
        }
    }

    @Test
    void rejectedBtfCarriesTheKernelsReason() {
        // 33 bits do not fit in a 4-byte int: the kernel's BTF log says so.
        assertThatThrownBy(() -> LoadedBtf.load(intBtf(33)))
                .isInstanceOfSatisfying(BpfException.class, e -> assertThat(e.is(Errno.EINVAL)).isTrue())
                .hasMessageContaining("BTF")
                .hasMessageContaining("nr_bits");
    }
}
