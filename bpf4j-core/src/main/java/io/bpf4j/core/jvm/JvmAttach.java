package io.bpf4j.core.jvm;

import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A connection to a running HotSpot JVM through the JDK's Attach API ({@code jdk.attach}), the mechanism
 * {@code jcmd} uses: {@link #jcmd} runs a diagnostic command in it ({@code Compiler.perfmap}, {@code VM.flags}…).
 * The JDK finds the target across PID and mount namespaces ({@code /proc/PID/root/tmp}, the PID the target sees),
 * and a root caller may attach to a JVM of any user. Attaching the first time makes the target start its attach
 * listener (a {@code SIGQUIT} handshake, sent only to a process that catches {@code SIGQUIT}), which takes from a
 * tenth of a second to a few seconds; later attaches connect at once.
 *
 * <p>{@code jcmd}'s entry point is in the JDK's {@code sun.tools.attach} package, which {@code jdk.attach} exports
 * to {@code jdk.jcmd} only: the JVM using this needs {@code --add-exports jdk.attach/sun.tools.attach=ALL-UNNAMED}
 * ({@code =io.bpf4j.core} on the module path), as the {@code bpf4j} launcher gives it. Without it,
 * {@link #attach} fails saying so.
 */
public final class JvmAttach implements AutoCloseable {
    /** The option that opens {@code jcmd}'s entry point to code on the class path. */
    public static final String ADD_EXPORTS = "--add-exports jdk.attach/sun.tools.attach=ALL-UNNAMED";

    private static final String HOTSPOT_VM = "sun.tools.attach.HotSpotVirtualMachine";

    private final long pid;
    private final VirtualMachine vm;

    private JvmAttach(long pid, VirtualMachine vm) {
        this.pid = pid;
        this.vm = vm;
    }

    /** Holds the handle to {@code HotSpotVirtualMachine.executeJCmd}, or why it is not accessible. */
    private static final class Jcmd {
        static final MethodHandle EXECUTE;
        static final String UNAVAILABLE;

        static {
            MethodHandle h = null;
            String why = null;
            try {
                Class<?> c = Class.forName(HOTSPOT_VM);
                h = MethodHandles.lookup().findVirtual(c, "executeJCmd",
                        MethodType.methodType(InputStream.class, String.class));
            } catch (IllegalAccessException e) {
                why = "the JDK's jcmd entry point (" + HOTSPOT_VM + ") is not exported to bpf4j: run this JVM with "
                        + ADD_EXPORTS;
            } catch (ReflectiveOperationException e) {
                why = "this JDK's Attach API has no jcmd entry point (" + HOTSPOT_VM + ".executeJCmd)";
            }
            EXECUTE = h;
            UNAVAILABLE = why;
        }
    }

    /**
     * Whether {@link #jcmd} can work in this JVM: empty when it can, else why not (one line, saying what to do).
     */
    public static Optional<String> unavailable() {
        return Optional.ofNullable(Jcmd.UNAVAILABLE);
    }

    /**
     * Attaches to the JVM of process {@code pid}.
     *
     * @throws JvmAttachException when it cannot: not a HotSpot JVM, attach disabled in it
     *                            ({@code -XX:+DisableAttachMechanism}, {@code -Xrs}), no answer, no permission, or
     *                            {@link #unavailable()} here
     */
    public static JvmAttach attach(long pid) {
        if (Jcmd.UNAVAILABLE != null) throw new JvmAttachException(Jcmd.UNAVAILABLE);
        if (pid == ProcessHandle.current().pid()) {
            throw new JvmAttachException("process " + pid + " is this JVM, which the Attach API does not attach to");
        }
        // the handshake's trigger file, which the JDK fails to delete when the target is in another mount namespace
        // (it deletes the path /proc/PID/cwd points to, resolved in ours)
        String trigger = ".attach_pid" + namespacePid(pid);
        List<Path> triggers = List.of(Path.of("/proc", Long.toString(pid), "cwd", trigger),
                Path.of("/proc", Long.toString(pid), "root", "tmp", trigger));
        List<Path> before = triggers.stream().filter(Files::exists).toList();
        try {
            return new JvmAttach(pid, VirtualMachine.attach(Long.toString(pid)));
        } catch (AttachNotSupportedException | IOException | RuntimeException e) {
            throw new JvmAttachException("cannot attach to JVM " + pid + ": " + reason(e), e);
        } finally {
            for (Path t : triggers) {
                if (before.contains(t)) continue;
                try {
                    Files.deleteIfExists(t);
                } catch (IOException | SecurityException e) {
                    // an empty file left behind, as jcmd leaves it
                }
            }
        }
    }

    /**
     * The PID process {@code pid} has in its own PID namespace (the last of {@code NSpid} in
     * {@code /proc/PID/status}): the one it names its files with; {@code pid} when that cannot be read (a process
     * gone, a kernel without {@code NSpid}).
     */
    public static long namespacePid(long pid) {
        try (BufferedReader r = Files.newBufferedReader(Path.of("/proc", Long.toString(pid), "status"),
                StandardCharsets.UTF_8)) {
            for (String line; (line = r.readLine()) != null; ) {
                if (!line.startsWith("NSpid:")) continue;
                String[] ids = line.substring(6).strip().split("\\s+");
                return Long.parseLong(ids[ids.length - 1]);
            }
        } catch (IOException | NumberFormatException e) {
            // the PID as we see it
        }
        return pid;
    }

    /** The process attached to. */
    public long pid() {
        return pid;
    }

    /**
     * Runs the diagnostic command {@code command} (what follows the PID on a {@code jcmd} command line) and returns
     * what it printed.
     *
     * @throws JvmAttachException when the connection or the command fails
     */
    public String jcmd(String command) {
        try (InputStream in = (InputStream) Jcmd.EXECUTE.invoke(vm, command)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (Throwable e) {
            if (e instanceof Error err && !(e instanceof LinkageError)) throw err;
            throw new JvmAttachException("jcmd " + pid + " " + command + " failed: " + reason(e), e);
        }
    }

    /** Detaches (the target's attach listener stays, as after {@code jcmd}). */
    @Override
    public void close() {
        try {
            vm.detach();
        } catch (IOException e) {
            // nothing is left open on this side: detach only forgets the socket's path
        }
    }

    private static String reason(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m.strip().lines().findFirst().orElse(m);
    }

    @Override
    public String toString() {
        return "JvmAttach[" + pid + "]";
    }
}
