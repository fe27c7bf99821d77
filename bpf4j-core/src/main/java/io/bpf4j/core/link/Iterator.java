package io.bpf4j.core.link;

import io.bpf4j.core.Program;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.internal.Bpf;
import io.bpf4j.core.internal.LibC;
import io.bpf4j.core.kernel.Fd;
import io.bpf4j.core.object.AttachType;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * BPF iterators ({@code SEC("iter/task")}, {@code iter/bpf_map}…): the program runs once per kernel object when
 * the iterator is read, and what it writes with {@code bpf_seq_printf}/{@code bpf_seq_write} is the text read —
 * as {@code cat} on a pinned iterator shows it.
 */
public final class Iterator {
    private Iterator() {
    }

    /** Attaches an iterator program (loaded with its {@code bpf_iter_*} target); read it with {@link #read}. */
    public static Link attach(Program program) {
        return Links.create(program, 0, AttachType.TRACE_ITER, 0);
    }

    /** Runs the iterator once over every object and returns what the program wrote (BPF_ITER_CREATE, read). */
    public static String read(Link iterator) {
        try (Arena arena = Arena.ofConfined()) {
            try (Fd fd = Fd.adopt(Bpf.iterCreate(iterator.fd(), iterator.description()))) {
                MemorySegment buf = arena.allocate(64 * 1024);
                ByteArrayOutputStream text = new ByteArrayOutputStream();
                while (true) {
                    long n = LibC.read(fd.value(), buf, buf.byteSize());
                    if (n == 0) return text.toString(StandardCharsets.UTF_8);
                    if (n < 0) {
                        throw new BpfException("read iterator", (int) -n, Bpf.message("reading " + iterator.description(),
                                (int) -n, "the iterator program failed or was stopped (E2BIG: it wrote more than a "
                                        + "page for one object)"));
                    }
                    text.write(buf.asSlice(0, n).toArray(JAVA_BYTE), 0, (int) n);
                }
            }
        }
    }
}
