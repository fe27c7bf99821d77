package io.bpf4j.bcc.compile;

import io.bpf4j.core.btf.BtfCHeader;
import io.bpf4j.core.btf.KernelBtf;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The include directory bcc sources compile against, in the cache: {@code vmlinux.h} written from the running
 * kernel's BTF, {@code bpf4j/bcc.h} (the dialect) and {@code bpf4j/helper_defs.h} (the kernel's helpers). Its
 * name carries a checksum of {@code /sys/kernel/btf/vmlinux} and of bpf4j's headers, so another kernel or another
 * bpf4j gets another directory, and one directory is written once (into a temporary directory, then renamed).
 *
 * @param dir the directory to pass to clang with {@code -I}
 * @param key what identifies its content (part of each object's cache key)
 */
record KernelHeaders(Path dir, String key) {
    static final Path VMLINUX = KernelBtf.SYSFS.resolve("vmlinux");
    private static final String RESOURCES = "/io/bpf4j/bcc/compile/";
    private static final Pattern HELPER_ID = Pattern.compile("\\bBPF_FUNC_(\\w+) = (\\d+),");
    private static final Pattern PROTOTYPE = Pattern.compile("^(.*?)\\b(bpf_\\w+)\\((.*)\\)$");

    private static final Map<Path, String> VMLINUX_TEXT = new ConcurrentHashMap<>();
    private static final Pattern MEMBER = Pattern.compile("(?:\\(\\*(\\w+)\\)\\(.*|(\\w+)(?:\\[[^\\]]*\\])*(?: : \\d+)?);$");

    /**
     * The member names of {@code struct name} as vmlinux.h defines it (those of nested anonymous structs and unions
     * included), or null when it defines no such struct: bcc programs define some kernel structs themselves, which
     * the rewriter then drops or renames. vmlinux.h is read on the first question (most sources ask none).
     */
    Set<String> structMembers(String name) {
        String text = VMLINUX_TEXT.computeIfAbsent(dir, d -> {
            try {
                return Files.readString(d.resolve("vmlinux.h"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        int start = text.indexOf("\nstruct " + name + " {\n");
        if (start < 0) return null;
        int end = text.indexOf("\n};\n", start);
        Set<String> members = new java.util.HashSet<>();
        for (String line : text.substring(start, end < 0 ? text.length() : end).split("\n")) {
            Matcher m = MEMBER.matcher(line.strip());
            if (m.find()) members.add(m.group(1) != null ? m.group(1) : m.group(2));
        }
        return members;
    }

    /** The include directory for the running kernel under {@code cacheDir}, written if missing. */
    static KernelHeaders of(Path cacheDir) throws IOException {
        String kernel = kernelChecksum(cacheDir);
        byte[] dialect = resource("include/bpf4j/bcc.h");
        byte[] helpers = resource("helpers.def");
        String key = kernel.substring(0, 16) + "-" + sha256(concat(dialect, helpers)).substring(0, 12);
        Path dir = cacheDir.resolve("include-" + key);
        if (Files.isRegularFile(dir.resolve("bpf4j/helper_defs.h"))) return new KernelHeaders(dir, key);
        Files.createDirectories(cacheDir);
        Path tmp = Files.createTempDirectory(cacheDir, "include-tmp-");
        try {
            Files.createDirectories(tmp.resolve("bpf4j"));
            Path vmlinux = tmp.resolve("vmlinux.h");
            try (BufferedWriter out = Files.newBufferedWriter(vmlinux)) {
                BtfCHeader.write(KernelBtf.vmlinux(), "__VMLINUX_H__", out);
            }
            Files.write(tmp.resolve("bpf4j/bcc.h"), dialect);
            Files.writeString(tmp.resolve("bpf4j/helper_defs.h"),
                    helperDefinitions(Files.readString(vmlinux), new String(helpers, StandardCharsets.UTF_8)));
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
                // another process wrote the same directory first: its content is the same
            } catch (IOException e) {
                if (!Files.isDirectory(dir)) throw e;
            }
        } finally {
            deleteTree(tmp);
        }
        return new KernelHeaders(dir, key);
    }

    /**
     * sha256 of the kernel's BTF. Hashing its megabytes takes a cold JVM half a second, so the sum is remembered in
     * the cache under what identifies a kernel build cheaply ({@code /proc/version}: release, build number and
     * time; and the BTF's size and time), and once per JVM.
     */
    private static String kernelChecksum(Path cacheDir) throws IOException {
        String sum = kernelSum;
        if (sum != null) return sum;
        BasicFileAttributes btf = Files.readAttributes(VMLINUX, BasicFileAttributes.class);
        String build = Files.readString(Path.of("/proc/version")).strip() + " " + btf.size() + " "
                + btf.lastModifiedTime().toMillis();
        Path memo = cacheDir.resolve("kernel-" + sha256(build.getBytes(StandardCharsets.UTF_8)).substring(0, 16));
        if (Files.isRegularFile(memo)) {
            sum = Files.readString(memo).strip();
        }
        if (sum == null || !sum.matches("[0-9a-f]{64}")) {
            sum = sha256(Files.readAllBytes(VMLINUX));
            Files.createDirectories(cacheDir);
            Path tmp = Files.createTempFile(cacheDir, "kernel-", ".tmp");
            Files.writeString(tmp, sum + "\n");
            Files.move(tmp, memo, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        kernelSum = sum;
        return sum;
    }

    private static volatile String kernelSum;

    /**
     * Declares every helper of the kernel's {@code enum bpf_func_id}: typed as {@code helpers.def} says where it
     * has the helper, else as {@code long (*name)()} (any arguments, as C allows for an unprototyped function).
     */
    static String helperDefinitions(String vmlinuxH, String helpersDef) {
        Map<String, String> ids = new LinkedHashMap<>();
        Matcher m = HELPER_ID.matcher(vmlinuxH);
        while (m.find()) ids.put("bpf_" + m.group(1), m.group(2));
        StringBuilder out = new StringBuilder("/* The BPF helpers of the running kernel: written by bpf4j from its "
                + "BTF (enum bpf_func_id) and bpf4j's helpers.def */\n");
        Map<String, Boolean> typed = new LinkedHashMap<>();
        for (String line : helpersDef.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) continue;
            Matcher p = PROTOTYPE.matcher(line.strip());
            if (!p.matches()) throw new IllegalStateException("bad line in helpers.def: " + line);
            String name = p.group(2);
            typed.put(name, true);
            String id = ids.get(name);
            if (id == null) continue; // this kernel lacks it: a call is an undeclared-function error
            out.append("static ").append(p.group(1)).append("(*").append(name).append(")(").append(p.group(3))
                    .append(") = (void *) ").append(id).append(";\n");
        }
        for (Map.Entry<String, String> e : ids.entrySet()) {
            if (typed.containsKey(e.getKey()) || e.getValue().equals("0")) continue;
            out.append("static long (*").append(e.getKey()).append(")() = (void *) ").append(e.getValue())
                    .append(";\n");
        }
        return out.toString();
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static byte[] resource(String name) {
        try (InputStream in = KernelHeaders.class.getResourceAsStream(RESOURCES + name)) {
            if (in == null) throw new IllegalStateException("missing resource " + RESOURCES + name);
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = new byte[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
