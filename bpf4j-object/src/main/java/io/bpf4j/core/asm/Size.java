package io.bpf4j.core.asm;

/** The width of a memory access: byte, half word, word or double word ({@code BPF_B/H/W/DW}). */
public enum Size {
    /** 8 bits ({@code BPF_B}). */
    B(0x10, 1),
    /** 16 bits ({@code BPF_H}). */
    H(0x08, 2),
    /** 32 bits ({@code BPF_W}). */
    W(0x00, 4),
    /** 64 bits ({@code BPF_DW}). */
    DW(0x18, 8);

    private final int code;
    private final int bytes;

    Size(int code, int bytes) {
        this.code = code;
        this.bytes = bytes;
    }

    /** How many bytes the access reads or writes. */
    public int bytes() {
        return bytes;
    }

    int code() {
        return code;
    }

    static Size fromCode(int opcode) {
        int bits = opcode & 0x18;
        for (Size size : values()) {
            if (size.code == bits) {
                return size;
            }
        }
        throw new AssertionError("two bits have four values");
    }
}
