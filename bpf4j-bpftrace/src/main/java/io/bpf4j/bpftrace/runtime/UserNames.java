package io.bpf4j.bpftrace.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** {@code username}: user ids named as {@code /etc/passwd} names them. */
final class UserNames {
    private static final Map<Long, String> NAMES = read(Path.of("/etc/passwd"));

    private UserNames() {
    }

    /** The name of user {@code uid}; its number when {@code /etc/passwd} has no such user. */
    static String of(long uid) {
        return NAMES.getOrDefault(uid, Long.toString(uid));
    }

    /** The users of a passwd file ({@code name:password:uid:…}); the first line wins for a uid listed twice. */
    private static Map<Long, String> read(Path passwd) {
        Map<Long, String> out = new HashMap<>();
        try {
            for (String line : Files.readAllLines(passwd)) {
                String[] f = line.split(":", 4);
                if (f.length < 4 || !f[2].matches("\\d{1,10}")) continue;
                out.putIfAbsent(Long.parseLong(f[2]), f[0]);
            }
        } catch (IOException | RuntimeException unreadable) {
            // no names: users are printed by number
        }
        return out;
    }
}
