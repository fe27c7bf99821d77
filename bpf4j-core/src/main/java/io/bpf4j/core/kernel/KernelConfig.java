package io.bpf4j.core.kernel;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/**
 * The running kernel's build configuration when the machine exposes it ({@code /proc/config.gz}, or
 * {@code /boot/config-RELEASE}): the values {@code __kconfig} externs read, and the option a probe names when it
 * says why a feature is missing. Read once per process, on first use.
 */
public final class KernelConfig {
    /** Where a kernel built with CONFIG_IKCONFIG_PROC shows its configuration. */
    public static final Path CONFIG_GZ = Path.of("/proc/config.gz");

    /** {@code CONFIG_X} → its value ({@code y}, {@code m}, a number, a quoted string); null when unknown. */
    private final Map<String, String> options;
    /** The options the configuration lists as {@code # CONFIG_X is not set}. */
    private final Set<String> unset;
    /** The file it was read from, null when none could be read. */
    private final Path source;

    private KernelConfig(Map<String, String> options, Set<String> unset, Path source) {
        this.options = options;
        this.unset = unset;
        this.source = source;
    }

    /** The running kernel's configuration (possibly unknown: {@link #known()}). */
    public static KernelConfig current() {
        return Holder.CONFIG;
    }

    private static final class Holder {
        static final KernelConfig CONFIG = read(KernelInfo.current().release());
    }

    private static KernelConfig read(String release) {
        String text = null;
        Path source = null;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(CONFIG_GZ))) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            source = CONFIG_GZ;
        } catch (IOException | RuntimeException e) {
            Path boot = Path.of("/boot/config-" + release);
            try {
                text = Files.readString(boot);
                source = boot;
            } catch (IOException | RuntimeException e2) {
                // unknown configuration
            }
        }
        if (text == null) return new KernelConfig(null, Set.of(), null);
        Map<String, String> opts = new HashMap<>();
        Set<String> unset = new HashSet<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("CONFIG_")) {
                int eq = line.indexOf('=');
                if (eq > 0) opts.put(line.substring(0, eq), line.substring(eq + 1).strip());
            } else if (line.startsWith("# CONFIG_") && line.endsWith(" is not set")) {
                unset.add(line.substring(2, line.length() - " is not set".length()));
            }
        }
        return new KernelConfig(Map.copyOf(opts), Set.copyOf(unset), source);
    }

    /** Whether the configuration is known at all. */
    public boolean known() {
        return options != null;
    }

    /** The file the configuration was read from, empty when it is unknown. */
    public Optional<Path> source() {
        return Optional.ofNullable(source);
    }

    /**
     * The value of {@code option} (e.g. {@code CONFIG_HZ} → {@code 1000}), null when the configuration does not
     * set it (or is unknown).
     */
    public String value(String option) {
        return options == null ? null : options.get(option);
    }

    /** Whether the configuration says {@code # option is not set} (libbpf treats that as missing). */
    public boolean listedUnset(String option) {
        return unset.contains(option);
    }

    /**
     * Whether {@code option} (e.g. {@code CONFIG_KPROBES}) is built in or a module: empty when the configuration
     * is unknown; an option the configuration does not mention counts as not set.
     */
    public Optional<Boolean> isSet(String option) {
        if (options == null) return Optional.empty();
        String v = options.get(option);
        return Optional.of(v != null && (v.equals("y") || v.equals("m")));
    }

    /** True only when the configuration is known and says {@code option} is not set. */
    public boolean knownUnset(String option) {
        return isSet(option).map(b -> !b).orElse(false);
    }
}
