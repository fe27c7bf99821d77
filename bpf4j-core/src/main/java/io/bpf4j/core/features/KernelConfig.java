package io.bpf4j.core.features;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPInputStream;

/**
 * The kernel's build configuration when the machine exposes it (/proc/config.gz, or /boot/config-RELEASE): used
 * only to name the missing option in a probe's reason, never to decide availability.
 */
final class KernelConfig {
    private final Map<String, String> options;

    private KernelConfig(Map<String, String> options) {
        this.options = options;
    }

    static KernelConfig of(String release) {
        return Holder.get(release);
    }

    private static final class Holder {
        private static volatile KernelConfig config;

        static KernelConfig get(String release) {
            KernelConfig c = config;
            if (c == null) {
                synchronized (Holder.class) {
                    c = config;
                    if (c == null) config = c = read(release);
                }
            }
            return c;
        }
    }

    private static KernelConfig read(String release) {
        Map<String, String> opts = new HashMap<>();
        String text = null;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(Path.of("/proc/config.gz")))) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            try {
                text = Files.readString(Path.of("/boot/config-" + release));
            } catch (IOException | RuntimeException e2) {
                // unknown configuration
            }
        }
        if (text == null) return new KernelConfig(null);
        for (String line : text.split("\n")) {
            if (line.startsWith("CONFIG_")) {
                int eq = line.indexOf('=');
                if (eq > 0) opts.put(line.substring(0, eq), line.substring(eq + 1));
            } else if (line.startsWith("# CONFIG_") && line.endsWith(" is not set")) {
                opts.put(line.substring(2, line.length() - " is not set".length()), "n");
            }
        }
        return new KernelConfig(opts);
    }

    /** Whether the configuration is known at all. */
    boolean known() {
        return options != null;
    }

    /**
     * Whether {@code option} (e.g. {@code CONFIG_KPROBES}) is built in or a module: empty when the configuration
     * is unknown; an option the configuration does not mention counts as not set.
     */
    Optional<Boolean> isSet(String option) {
        if (options == null) return Optional.empty();
        String v = options.get(option);
        return Optional.of(v != null && (v.equals("y") || v.equals("m")));
    }

    /** True only when the configuration is known and says {@code option} is not set. */
    boolean knownUnset(String option) {
        return isSet(option).map(b -> !b).orElse(false);
    }
}
