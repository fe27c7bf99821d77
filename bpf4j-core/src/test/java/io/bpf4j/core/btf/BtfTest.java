package io.bpf4j.core.btf;

import io.bpf4j.core.btf.BtfType.Member;
import io.bpf4j.core.kernel.LoadedBtf;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BtfTest {

    private static String raw(Btf btf) throws IOException {
        StringBuilder sb = new StringBuilder();
        btf.writeRaw(sb);
        return sb.toString();
    }

    @Test
    void parsesEveryKindLikeBpftool() throws IOException {
        Btf btf = Btf.parse(BtfTestData.kinds());
        assertThat(btf.typeCount()).isEqualTo(58);
        assertThat(btf.base()).isEmpty();
        assertThat(raw(btf)).isEqualTo(BtfTestData.kindsRaw());
    }

    @Test
    void decodesRecords() {
        Btf btf = Btf.parse(BtfTestData.kinds());
        BtfType.Struct node = btf.find(BtfType.Struct.class, "node").orElseThrow();
        assertThat(node.size()).isEqualTo(128);
        assertThat(node.members()).hasSize(13);
        assertThat(node.members().get(0)).isEqualTo(Member.of("next", 8, 0));
        BtfType.Struct flags = btf.find(BtfType.Struct.class, "flags").orElseThrow();
        assertThat(flags.kindFlag()).isTrue();
        assertThat(flags.members().get(1)).isEqualTo(new Member("b", 22, 3, 5));
        BtfType.Enum color = btf.find(BtfType.Enum.class, "color").orElseThrow();
        assertThat(color.signed()).isTrue();
        assertThat(color.values()).extracting(BtfType.EnumValue::value).containsExactly(0, 5, -3);
        BtfType.Enum64 big = btf.find(BtfType.Enum64.class, "big").orElseThrow();
        assertThat(big.signed()).isFalse();
        assertThat(big.values().get(1).value()).isEqualTo(0xffffffff00000000L);
        BtfType.Typedef cb = btf.find(BtfType.Typedef.class, "callback_t").orElseThrow();
        BtfType.FuncProto proto = btf.type(((BtfType.Ptr) btf.type(cb.type())).type(), BtfType.FuncProto.class);
        assertThat(proto.variadic()).isTrue();
        assertThat(proto.params()).hasSize(2);
        assertThat(btf.find(BtfType.Func.class, "helper").orElseThrow().linkage()).isEqualTo(Linkage.STATIC);
        assertThat(btf.find(BtfType.Var.class, "limit").orElseThrow().linkage()).isEqualTo(Linkage.STATIC);
        assertThat(btf.find(BtfType.Datasec.class, ".maps").orElseThrow().vars()).hasSize(1);
        assertThat(btf.find(BtfType.TypeTag.class, "user")).isPresent();
        assertThat(btf.find(BtfType.DeclTag.class, "id_tag").orElseThrow().componentIdx()).isEqualTo(11);
        assertThat(btf.type(0)).isEqualTo(BtfType.Void.INSTANCE);
    }

    @Test
    void lookupsResolveSizeAndAlignment() {
        Btf btf = Btf.parse(BtfTestData.kinds());
        int node = btf.typeId("node", BtfKind.STRUCT).orElseThrow();
        assertThat(btf.typeId("node", BtfKind.UNION)).isEmpty();
        assertThat(btf.typeIds("node")).containsExactly(node);
        assertThat(btf.typeIds("nope")).isEmpty();
        assertThat(btf.sizeOf(node)).isEqualTo(128);
        assertThat(btf.alignOf(node)).isEqualTo(8);
        int flags = btf.typeId("flags", BtfKind.STRUCT).orElseThrow();
        assertThat(btf.alignOf(flags)).as("packed").isEqualTo(1);
        int u64 = btf.typeId("u64_t", BtfKind.TYPEDEF).orElseThrow();
        assertThat(btf.resolveType(u64)).isEqualTo(BtfType.Int.of("unsigned long long", 8, false));
        // matrix: u64_t[2][3]
        Member matrix = btf.type(node, BtfType.Struct.class).members().get(7);
        assertThat(btf.sizeOf(matrix.type())).isEqualTo(48);
        assertThat(btf.alignOf(matrix.type())).isEqualTo(8);
        // const volatile int * restrict: resolve skips restrict to reach the pointer
        Member cvp = btf.type(node, BtfType.Struct.class).members().get(1);
        assertThat(btf.resolveType(cvp.type())).isInstanceOf(BtfType.Ptr.class);
        assertThatThrownBy(() -> btf.sizeOf(btf.typeId("prog", BtfKind.FUNC).orElseThrow()))
                .isInstanceOf(BtfException.class).hasMessageContaining("has no size");
        assertThatThrownBy(() -> btf.type(9999)).isInstanceOf(BtfException.class).hasMessageContaining("[9999]");
        assertThatThrownBy(() -> btf.type(node, BtfType.Union.class)).isInstanceOf(BtfException.class)
                .hasMessageContaining("STRUCT 'node', not Union");
    }

    @Test
    void encodeRoundTrips() {
        Btf btf = Btf.parse(BtfTestData.kinds());
        Btf again = Btf.parse(btf.encode());
        assertThat(again.types()).isEqualTo(btf.types());
        assertThat(again.encode()).isEqualTo(btf.encode());
    }

    @Test
    void bigEndianRoundTrips() {
        Btf btf = Btf.parse(BtfTestData.kinds());
        byte[] be = BtfWriter.encode(btf.types(), ByteOrder.BIG_ENDIAN, 1, null);
        assertThat(ByteBuffer.wrap(be).getShort(0)).isEqualTo((short) 0xeb9f);
        Btf parsed = Btf.parse(be);
        assertThat(parsed.order()).isEqualTo(ByteOrder.BIG_ENDIAN);
        assertThat(parsed.types()).isEqualTo(btf.types());
        assertThat(Btf.parse(parsed.encode()).order()).isEqualTo(ByteOrder.BIG_ENDIAN);
    }

    @Test
    void splitBtfContinuesIdsAndStrings() {
        Btf base = Btf.parse(BtfTestData.kinds());
        int intId = base.typeId("int", BtfKind.INT).orElseThrow();
        int nodeId = base.typeId("node", BtfKind.STRUCT).orElseThrow();
        List<BtfType> mine = List.of(
                new BtfType.Ptr(nodeId), // 59
                new BtfType.Struct("node_ref", 16, List.of(Member.of("node", 59, 0), Member.of("id", intId, 64))),
                new BtfType.Typedef("node", 60)); // same name as a base type: lookups see both
        Btf split = Btf.of(base, mine);
        assertThat(split.firstTypeId()).isEqualTo(59);
        assertThat(split.nextTypeId()).isEqualTo(62);
        assertThat(split.types()).isEqualTo(mine);
        assertThat(split.type(nodeId)).isEqualTo(base.type(nodeId));
        assertThat(split.typeId("node_ref", BtfKind.STRUCT)).hasValue(60);
        assertThat(split.typeIds("node")).containsExactly(nodeId, 61);
        assertThat(split.typeId("node", BtfKind.TYPEDEF)).hasValue(61);
        assertThat(split.sizeOf(61)).isEqualTo(16);
        byte[] bytes = split.encode();
        Btf again = Btf.parseSplit(bytes, base);
        assertThat(again.types()).isEqualTo(mine);
        // "id" and "node" are base strings: the split string section only holds "node_ref"
        assertThat(bytes.length).isEqualTo(24 + 12 + 12 + 24 + 12 + "\0node_ref\0".length());
        assertThat(again.describe(60)).isEqualTo("[60] STRUCT 'node_ref' size=16 vlen=2\n\t'node' type_id=59 "
                + "bits_offset=0\n\t'id' type_id=" + intId + " bits_offset=64");
        assertThatThrownBy(() -> Btf.parse(bytes)).isInstanceOf(BtfException.class);
    }

    @Test
    void malformedInputIsABtfException() {
        byte[] good = BtfTestData.kinds();
        assertThatThrownBy(() -> Btf.parse(new byte[3])).isInstanceOf(BtfException.class)
                .hasMessageContaining("byte 0").hasMessageContaining("header");
        assertThatThrownBy(() -> Btf.parse(new byte[24])).isInstanceOf(BtfException.class)
                .hasMessageContaining("magic 0xeb9f");
        byte[] truncated = java.util.Arrays.copyOf(good, good.length - 100);
        assertThatThrownBy(() -> Btf.parse(truncated)).isInstanceOf(BtfException.class)
                .hasMessageContaining("string section within the data");
        byte[] badKind = good.clone();
        badKind[24 + 7] = 31; // the first type's info: kind 31
        assertThatThrownBy(() -> Btf.parse(badKind)).isInstanceOf(BtfException.class)
                .hasMessageContaining("malformed BTF at byte 28").hasMessageContaining("kind 31");
        byte[] badRef = good.clone();
        ByteBuffer.wrap(badRef).order(ByteOrder.LITTLE_ENDIAN).putInt(24 + 8, 1000); // PTR [1] -> [1000]
        assertThatThrownBy(() -> Btf.parse(badRef)).isInstanceOf(BtfException.class)
                .hasMessageContaining("type id 1000");
        byte[] badName = good.clone();
        ByteBuffer.wrap(badName).order(ByteOrder.LITTLE_ENDIAN).putInt(24 + 12, 1 << 30); // INT [2] name
        assertThatThrownBy(() -> Btf.parse(badName)).isInstanceOf(BtfException.class)
                .hasMessageContaining("string offset");
    }

    @Test
    void referenceCyclesAreReportedNotOverflowed() {
        Btf btf = Btf.of(List.of(new BtfType.Typedef("a", 2), new BtfType.Const(1),
                new BtfType.Struct("s", 4, List.of(Member.of("self", 3, 0)))));
        assertThatThrownBy(() -> btf.resolve(1)).isInstanceOf(BtfException.class).hasMessageContaining("cycle");
        assertThatThrownBy(() -> btf.sizeOf(2)).isInstanceOf(BtfException.class).hasMessageContaining("cycle");
        assertThatThrownBy(() -> btf.alignOf(3)).isInstanceOf(BtfException.class).hasMessageContaining("cycle");
    }
}
