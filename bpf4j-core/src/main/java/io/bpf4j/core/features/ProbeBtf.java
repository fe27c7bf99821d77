package io.bpf4j.core.features;

import io.bpf4j.core.btf.BtfKind;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The smallest BTF the probes need, written by hand:
 * <pre>
 * [1] INT 'int' size=4 signed
 * [2] STRUCT 'xdp_md' size=0 vlen=0
 * [3] PTR → [2]
 * [4] FUNC_PROTO → [1] (ctx: [3])
 * [5] FUNC 'a' → [4] global
 * </pre>
 * Local-storage maps take [1] as key and value type; an extension program and its XDP target share [5].
 */
final class ProbeBtf {
    static final int INT = 1, FUNC = 5;

    private ProbeBtf() {
    }

    static byte[] bytes() {
        byte[] strings = "\0int\0xdp_md\0ctx\0a\0".getBytes(StandardCharsets.US_ASCII);
        int nameInt = 1, nameXdpMd = 5, nameCtx = 12, nameA = 16;
        ByteBuffer types = ByteBuffer.allocate(128).order(ByteOrder.LITTLE_ENDIAN);
        // [1] INT int: size 4, encoding SIGNED (1 << 24), offset 0, 32 bits
        types.putInt(nameInt).putInt(BtfKind.INT.code() << 24).putInt(4).putInt((1 << 24) | 32);
        // [2] STRUCT xdp_md, no members
        types.putInt(nameXdpMd).putInt(BtfKind.STRUCT.code() << 24).putInt(0);
        // [3] PTR -> 2
        types.putInt(0).putInt(BtfKind.PTR.code() << 24).putInt(2);
        // [4] FUNC_PROTO returning int, one parameter ctx: struct xdp_md *
        types.putInt(0).putInt((BtfKind.FUNC_PROTO.code() << 24) | 1).putInt(1);
        types.putInt(nameCtx).putInt(3);
        // [5] FUNC a, linkage global (1) in vlen
        types.putInt(nameA).putInt((BtfKind.FUNC.code() << 24) | 1).putInt(4);
        int typeLen = types.position();
        ByteBuffer out = ByteBuffer.allocate(24 + typeLen + strings.length).order(ByteOrder.LITTLE_ENDIAN);
        out.putShort((short) 0xeb9f).put((byte) 1).put((byte) 0).putInt(24)
                .putInt(0).putInt(typeLen).putInt(typeLen).putInt(strings.length);
        out.put(types.array(), 0, typeLen).put(strings);
        return out.array();
    }
}
