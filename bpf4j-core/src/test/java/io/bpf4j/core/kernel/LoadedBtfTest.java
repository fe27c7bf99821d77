package io.bpf4j.core.kernel;

import io.bpf4j.core.KernelObjects;
import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.btf.BtfType;
import io.bpf4j.core.btf.BtfType.Member;
import io.bpf4j.core.btf.Linkage;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.error.Errno;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

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

    @Test
    void builtBtfLoadsIntoTheKernel() {
        List<BtfType> types = new ArrayList<>();
        types.add(BtfType.Int.of("int", 4, true)); // [1]
        types.add(BtfType.Int.of("unsigned int", 4, false)); // [2]
        types.add(new BtfType.Ptr(4)); // [3]
        types.add(new BtfType.Struct("pair", 16, List.of(Member.of("a", 1, 0), new Member("bits", 2, 32, 3),
                Member.of("next", 3, 64)))); // [4]
        types.add(new BtfType.Typedef("pair_t", 4)); // [5]
        types.add(new BtfType.Enum64("e", 8, false, List.of(new BtfType.Enum64Value("X", -1L)))); // [6]
        types.add(new BtfType.FuncProto(1, List.of(new BtfType.Param("p", 3)), false)); // [7]
        types.add(new BtfType.Func("f", 7, Linkage.GLOBAL)); // [8]
        types.add(new BtfType.Array(1, 1, 4)); // [9]
        Btf btf = Btf.of(types);
        assertThat(btf.types()).isEqualTo(types);
        assertThat(btf.sizeOf(5)).isEqualTo(16);
        assertThat(btf.sizeOf(9)).isEqualTo(16);
        try (LoadedBtf loaded = LoadedBtf.load(btf.encode())) {
            assertThat(loaded.fd()).isPositive();
        }
    }
}
