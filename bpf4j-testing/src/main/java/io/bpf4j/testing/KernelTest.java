package io.bpf4j.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.Tag;

/**
 * Marks a test class or method that needs what only a Linux machine prepared for BPF has: root (CAP_BPF,
 * CAP_PERFMON, CAP_NET_ADMIN), a kernel that loads and attaches BPF programs, its BTF (/sys/kernel/btf), tracefs,
 * network namespaces, or the tools' BPF objects (built with clang). It is the JUnit tag {@value #TAG}:
 * {@code ./mvnw test -DexcludedGroups=kernel} runs every other test, which needs a JDK and nothing else.
 * A test that only parses (instructions, BTF, ELF files checked in or built by clang from test sources), formats
 * or checks options is not one.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag(KernelTest.TAG)
public @interface KernelTest {
    /** The tag's name, as {@code -Dgroups} and {@code -DexcludedGroups} take it. */
    String TAG = "kernel";
}
