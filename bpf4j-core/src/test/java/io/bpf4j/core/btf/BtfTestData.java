package io.bpf4j.core.btf;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Test resources under btf/: kinds.btf is the .BTF section of kinds.bpf.c built by clang-19 (see that file). */
final class BtfTestData {
    private BtfTestData() {
    }

    static byte[] resource(String name) {
        try (InputStream in = BtfTestData.class.getResourceAsStream("/btf/" + name)) {
            if (in == null) throw new IllegalStateException("missing test resource btf/" + name);
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every BTF kind clang emits (all but FWD, ENUM with kind_flag 0, RESTRICT on non-pointers…). */
    static byte[] kinds() {
        return resource("kinds.btf");
    }

    /** bpftool's raw dump of kinds.btf. */
    static String kindsRaw() {
        return new String(resource("kinds.raw.txt"), StandardCharsets.UTF_8);
    }
}
