package io.bpf4j.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.Tag;

/**
 * Marks a kernel test that belongs to the kernel matrix: the tests that exercise kernel hooks (kprobe, fentry/fexit,
 * LSM), the tools' choice between them, the feature probe and CO-RE loading, which scripts/kernel-matrix runs on
 * this machine's kernel and again on a second one (Linux 6.1 in a virtual machine). Such a test asserts what the
 * kernel it runs on offers; where a hook is missing it is skipped with a message naming the missing feature.
 * It is the JUnit tag {@value #TAG}.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag(KernelMatrix.TAG)
public @interface KernelMatrix {
    /** The tag's name, as {@code --include-tag} takes it. */
    String TAG = "matrix";
}
