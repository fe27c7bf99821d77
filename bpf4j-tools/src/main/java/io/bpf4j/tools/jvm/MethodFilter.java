package io.bpf4j.tools.jvm;

import io.bpf4j.tools.ToolSession;
import io.bpf4j.tools.UsageError;

import java.nio.charset.StandardCharsets;

/**
 * The class and method-name prefixes of javacalls and javaflow ({@code -C}, {@code -M}), given to their BPF programs
 * (hotspot_methods.h), which compare them in the kernel. A class prefix may be written as Java writes names
 * ({@code java.util.}) or as the JVM does ({@code java/util/}).
 */
final class MethodFilter {
    /** CLASS_LEN and METHOD_LEN of hotspot_methods.h, less the NUL. */
    private static final int CLASS_MAX = 127, METHOD_MAX = 63;

    private MethodFilter() {
    }

    /**
     * Sets the filters of the session's object before load.
     *
     * @throws UsageError when a prefix is longer than the names the programs read
     */
    static void set(ToolSession s, String classPrefix, String methodPrefix) {
        if (classPrefix != null) {
            String internal = HotSpotProcess.internalName(classPrefix);
            int n = internal.getBytes(StandardCharsets.UTF_8).length;
            if (n > CLASS_MAX) throw new UsageError("-C: a class prefix of at most " + CLASS_MAX + " bytes");
            s.setString("targ_class", internal);
            s.set("targ_class_len", n);
        }
        if (methodPrefix != null) {
            int n = methodPrefix.getBytes(StandardCharsets.UTF_8).length;
            if (n > METHOD_MAX) throw new UsageError("-M: a method prefix of at most " + METHOD_MAX + " bytes");
            s.setString("targ_method", methodPrefix);
            s.set("targ_method_len", n);
        }
    }

    /** "classes PREFIX*, methods PREFIX*" for the "Tracing…" line; "" without filters. */
    static String describe(String classPrefix, String methodPrefix) {
        String classes = classPrefix == null ? null : "classes " + HotSpotProcess.javaName(classPrefix) + "*";
        String methods = methodPrefix == null ? null : "methods " + methodPrefix + "*";
        return classes == null ? (methods == null ? "" : methods) : methods == null ? classes : classes + ", " + methods;
    }
}
