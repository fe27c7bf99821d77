package io.bpf4j.bpftrace.check;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.stream.Stream;

/** A kernel symbol's address from {@code /proc/kallsyms}, for {@code kaddr()}. */
public final class KernelSymbolAddress {
    private KernelSymbolAddress() {
    }

    /** The address of {@code symbol}, if the kernel has it. */
    public static OptionalLong of(String symbol) {
        try (Stream<String> lines = Files.lines(Path.of("/proc/kallsyms"))) {
            return lines.map(l -> l.split("\\s+")).filter(f -> f.length >= 3 && f[2].equals(symbol))
                    .mapToLong(f -> Long.parseUnsignedLong(f[0], 16)).findFirst();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/kallsyms: " + e.getMessage(), e);
        }
    }
}
