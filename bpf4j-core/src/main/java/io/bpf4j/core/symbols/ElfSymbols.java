package io.bpf4j.core.symbols;

import io.bpf4j.core.elf.ElfFile;
import io.bpf4j.core.elf.ElfNote;
import io.bpf4j.core.elf.ElfSection;
import io.bpf4j.core.elf.ElfSymbol;
import io.bpf4j.core.format.IoErrors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * The function symbols of one ELF file (executable or shared object): {@code .symtab} and {@code .dynsym} FUNC
 * symbols merged and sorted by address, the PT_LOAD program headers that map file offsets to virtual addresses,
 * and the GNU build id. Read once from the file (memory-mapped while reading, nothing kept open).
 */
public final class ElfSymbols {
    private static final int SHT_DYNSYM = 11;
    private static final int PT_LOAD = 1;
    private static final int NT_GNU_BUILD_ID = 3;
    private static final String DEBUG_DIR = "/usr/lib/debug/.build-id";

    /** A PT_LOAD segment: file bytes [offset, offset+fileSize) load at vaddr. */
    public record Segment(long offset, long vaddr, long fileSize, long memSize, int flags) {
        public boolean executable() {
            return (flags & 1) != 0;
        }
    }

    private final Path path;
    private final int type;
    private final String buildId;
    private final List<Segment> segments;
    private final long[] starts;
    private final long[] sizes;
    private final String[] names;
    /** {@link #names} demangled, each on the first lookup that hits it (a race computes one twice, harmlessly). */
    private final String[] shown;

    private ElfSymbols(Path path, int type, String buildId, List<Segment> segments, List<ElfSymbol> functions) {
        this.path = path;
        this.type = type;
        this.buildId = buildId;
        this.segments = List.copyOf(segments);
        List<ElfSymbol> sorted = new ArrayList<>(functions);
        // By address; among aliases at one address, exported (global or weak) before local, then the fewest
        // leading underscores (getpid rather than __getpid), then sized before unsized, then the shorter name.
        sorted.sort((a, b) -> {
            int c = Long.compareUnsigned(a.value(), b.value());
            if (c != 0) return c;
            c = Boolean.compare(b.binding() != ElfSymbol.STB_LOCAL, a.binding() != ElfSymbol.STB_LOCAL);
            if (c != 0) return c;
            c = Integer.compare(underscores(a.name()), underscores(b.name()));
            if (c != 0) return c;
            c = Boolean.compare(b.size() != 0, a.size() != 0);
            if (c != 0) return c;
            return Integer.compare(a.name().length(), b.name().length());
        });
        List<ElfSymbol> unique = new ArrayList<>(sorted.size());
        for (ElfSymbol s : sorted) {
            if (!unique.isEmpty() && unique.getLast().value() == s.value()) continue;
            unique.add(s);
        }
        starts = new long[unique.size()];
        sizes = new long[unique.size()];
        names = new String[unique.size()];
        shown = new String[unique.size()];
        for (int i = 0; i < starts.length; i++) {
            starts[i] = unique.get(i).value();
            sizes[i] = unique.get(i).size();
            names[i] = unique.get(i).name();
        }
    }

    private static int underscores(String name) {
        int n = 0;
        while (n < name.length() && name.charAt(n) == '_') n++;
        return n;
    }

    /**
     * Reads the symbols of the ELF file at {@code file}.
     *
     * @throws UncheckedIOException when the file cannot be read
     * @throws io.bpf4j.core.elf.ElfException when it is not a readable 64-bit ELF file
     */
    public static ElfSymbols read(Path file) {
        try (Arena arena = Arena.ofConfined();
             FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment data = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            ElfFile elf = ElfFile.parse(data);
            if (elf.byteOrder() != ByteOrder.LITTLE_ENDIAN) {
                throw new io.bpf4j.core.elf.ElfException(file + " is big-endian; only little-endian hosts are supported");
            }
            List<ElfSymbol> functions = new ArrayList<>();
            for (ElfSymbol s : elf.symbols()) if (useful(s)) functions.add(s);
            for (ElfSection s : elf.sections()) {
                if (s.type() == SHT_DYNSYM) for (ElfSymbol d : dynsym(elf, data, s)) if (useful(d)) functions.add(d);
            }
            String buildId = null;
            for (ElfSection s : elf.sections()) {
                if (s.type() != ElfSection.SHT_NOTE) continue;
                for (ElfNote n : elf.notes(s)) {
                    if (n.type() == NT_GNU_BUILD_ID && n.name().equals("GNU")) {
                        buildId = HexFormat.of().formatHex(n.descriptor());
                    }
                }
                if (buildId != null) break;
            }
            if (elf.symbols().isEmpty() && buildId != null) functions.addAll(debugFunctions(buildId));
            return new ElfSymbols(file, elf.type(), buildId, programHeaders(data), functions);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read ELF file " + file + ": " + IoErrors.reason(e), e);
        }
    }

    /**
     * The FUNC symbols of the separate debug file of a stripped binary, {@code /usr/lib/debug/.build-id/xx/rest.debug}
     * (Debian's -dbgsym packages, Fedora's debuginfo), if installed: local functions such as
     * {@code __libc_start_call_main} are only there.
     */
    private static List<ElfSymbol> debugFunctions(String buildId) {
        if (buildId.length() < 3) return List.of();
        Path debug = Path.of(DEBUG_DIR, buildId.substring(0, 2), buildId.substring(2) + ".debug");
        if (!java.nio.file.Files.isReadable(debug)) return List.of();
        try (Arena arena = Arena.ofConfined();
             FileChannel ch = FileChannel.open(debug, StandardOpenOption.READ)) {
            ElfFile elf = ElfFile.parse(ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena));
            List<ElfSymbol> out = new ArrayList<>();
            for (ElfSymbol s : elf.symbols()) if (useful(s)) out.add(s);
            return out;
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    private static boolean useful(ElfSymbol s) {
        return s.isFunction() && !s.isUndefined() && s.value() != 0 && !s.name().isEmpty();
    }

    private static List<ElfSymbol> dynsym(ElfFile elf, MemorySegment data, ElfSection dyn) {
        List<ElfSymbol> out = new ArrayList<>();
        if (dyn.entrySize() != 24 || dyn.link() <= 0 || dyn.link() >= elf.sections().size()) return out;
        ElfSection str = elf.section(dyn.link());
        long strStart = str.offset(), strEnd = str.offset() + str.size();
        if (strEnd > data.byteSize() || dyn.offset() + dyn.size() > data.byteSize()) return out;
        for (long i = 0, n = dyn.size() / 24; i < n; i++) {
            long at = dyn.offset() + i * 24;
            long nameOff = Integer.toUnsignedLong(data.get(JAVA_INT_UNALIGNED, at));
            int info = data.get(JAVA_BYTE, at + 4) & 0xff;
            int other = data.get(JAVA_BYTE, at + 5) & 0xff;
            int shndx = data.get(JAVA_SHORT_UNALIGNED, at + 6) & 0xffff;
            long value = data.get(JAVA_LONG_UNALIGNED, at + 8);
            long size = data.get(JAVA_LONG_UNALIGNED, at + 16);
            String name = cString(data, strStart + nameOff, strEnd);
            // Versioned names (memcpy@@GLIBC_2.14) are stored unversioned in the string table already.
            out.add(new ElfSymbol((int) i, name, value, size, shndx, info >>> 4, info & 0xf, other & 3));
        }
        return out;
    }

    private static String cString(MemorySegment data, long from, long end) {
        if (from >= end) return "";
        long at = from;
        while (at < end && data.get(JAVA_BYTE, at) != 0) at++;
        return new String(data.asSlice(from, at - from).toArray(JAVA_BYTE), StandardCharsets.UTF_8);
    }

    private static List<Segment> programHeaders(MemorySegment data) {
        long phoff = data.get(JAVA_LONG_UNALIGNED, 32);
        int phentsize = data.get(JAVA_SHORT_UNALIGNED, 54) & 0xffff;
        int phnum = data.get(JAVA_SHORT_UNALIGNED, 56) & 0xffff;
        List<Segment> out = new ArrayList<>();
        if (phoff == 0 || phentsize < 56) return out;
        for (int i = 0; i < phnum; i++) {
            long at = phoff + (long) i * phentsize;
            if (at + 56 > data.byteSize()) break;
            if (data.get(JAVA_INT_UNALIGNED, at) != PT_LOAD) continue;
            int flags = data.get(JAVA_INT_UNALIGNED, at + 4);
            out.add(new Segment(data.get(JAVA_LONG_UNALIGNED, at + 8), data.get(JAVA_LONG_UNALIGNED, at + 16),
                    data.get(JAVA_LONG_UNALIGNED, at + 32), data.get(JAVA_LONG_UNALIGNED, at + 40), flags));
        }
        return out;
    }

    /** The file these symbols were read from. */
    public Path path() {
        return path;
    }

    /** The ELF type: {@link ElfFile#ET_EXEC} (fixed addresses) or {@link ElfFile#ET_DYN} (PIE, shared object). */
    public int type() {
        return type;
    }

    /** The GNU build id in hex ({@code .note.gnu.build-id}), if the file has one. */
    public Optional<String> buildId() {
        return Optional.ofNullable(buildId);
    }

    /** The PT_LOAD segments. */
    public List<Segment> segments() {
        return segments;
    }

    /** How many distinct function symbols there are. */
    public int size() {
        return starts.length;
    }

    /**
     * The ELF virtual address of file offset {@code fileOffset}, through the PT_LOAD segment containing it; for a
     * file without program headers, the offset itself.
     */
    public long vaddrOfFileOffset(long fileOffset) {
        for (Segment s : segments) {
            if (fileOffset >= s.offset() && fileOffset < s.offset() + Math.max(s.fileSize(), 1)) {
                return s.vaddr() + (fileOffset - s.offset());
            }
        }
        return fileOffset;
    }

    /**
     * The function containing ELF virtual address {@code vaddr}: name and offset, if a symbol covers it. C++ names
     * come demangled, as perf and bcc show them ({@code JavaCalls::call_helper(JavaValue*, …)}); each is demangled
     * once, when first found, so that files with tens of thousands of symbols cost only for the frames seen.
     */
    public Optional<Hit> find(long vaddr) {
        int lo = 0, hi = starts.length - 1, found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(starts[mid], vaddr) <= 0) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        if (found < 0) return Optional.empty();
        long off = vaddr - starts[found];
        // A sized symbol covers [start, start+size); an unsized one (hand-written assembly) anything up to the next.
        if (sizes[found] != 0 && Long.compareUnsigned(off, sizes[found]) >= 0) return Optional.empty();
        String name = shown[found];
        if (name == null) shown[found] = name = Demangler.demangle(names[found]);
        return Optional.of(new Hit(name, off));
    }

    /** A symbol lookup result: the function's name (demangled when it is a C++ name) and the offset into it. */
    public record Hit(String name, long offset) {
    }

    @Override
    public String toString() {
        return "ElfSymbols[" + path + ", " + starts.length + " functions" + (buildId == null ? "" : ", build-id "
                + buildId) + "]";
    }
}
