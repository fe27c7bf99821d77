package io.bpf4j.cli;

import com.sun.source.tree.ClassTree;
import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.Tree;
import com.sun.source.util.JavacTask;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code bpf4j script Prog.java [args]}: a bcc-style program written as one Java source file (bpf4j-bcc's
 * {@code Bcc} with its C in a string), run as Java's source launcher runs it — its first top-level class's
 * {@code main} — in this JVM, with bpf4j's classes already there: compiled once and kept in
 * {@code $BPF4J_CACHE_DIR/scripts} (or {@code ~/.cache/bpf4j/scripts}) under a hash of the source, the JDK and
 * bpf4j's class path, so
 * a second run starts without javac and without a second JVM. The command ends when {@code main} and the threads
 * it started (not daemons) have ended; a failure in {@code main} is reported in one line as bpf4j's own are.
 * {@code bpf4j jshell} ({@link Jshell}) starts JShell, in a JVM of its own, with bpf4j on its class path.
 */
@Command(name = "script", mixinStandardHelpOptions = true,
        description = "Run a Java source file with bpf4j on the class path, as Java's source launcher does (compiled "
                + "once, cached): a bcc-style program, its C in a Java string (io.bpf4j.bcc.Bcc).")
public final class ScriptCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "The .java file to run.")
    Path file;

    @Parameters(index = "1..*", paramLabel = "ARGS", description = "The program's arguments.")
    List<String> args = new ArrayList<>();

    /** {@code bpf4j jshell [ARGS]}: JShell with bpf4j on its class path and its bcc API imported. */
    @Command(name = "jshell", mixinStandardHelpOptions = true,
            description = "Start JShell with bpf4j on the class path and io.bpf4j.bcc.* imported.")
    public static final class Jshell implements Callable<Integer> {
        @Parameters(paramLabel = "ARGS", description = "JShell's own arguments, e.g. a script to load.")
        List<String> args = new ArrayList<>();

        @Override
        public Integer call() throws IOException, InterruptedException {
            return run(jshellCommand(args));
        }
    }

    /** What JShell imports at start: the bcc API and the core's commonly used packages. */
    static final String JSHELL_STARTUP = String.join("\n",
            "import io.bpf4j.bcc.*;",
            "import io.bpf4j.core.*;",
            "import io.bpf4j.core.events.*;",
            "import io.bpf4j.core.link.*;",
            "import java.time.Duration;",
            "");

    /** The name of the file, in a compiled script's directory, that holds its main class's name. */
    private static final String MAIN_FILE = "main-class";

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(file)) throw new ParameterException(spec.commandLine(), "no file " + file);
        Path classes = compiled(file);
        if (classes == null) return 1; // javac's errors are on stderr
        String mainClass = Files.readString(classes.resolve(MAIN_FILE)).strip();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()},
                ScriptCommand.class.getClassLoader())) {
            Thread.currentThread().setContextClassLoader(loader);
            invokeMain(loader.loadClass(mainClass), args.toArray(String[]::new));
            awaitThreads();
        }
        return 0;
    }

    /**
     * The directory of {@code source}'s classes: from the cache, else compiled into it (null when javac refused
     * the source; its errors are on stderr).
     */
    static Path compiled(Path source) throws IOException {
        String text = Files.readString(source);
        Path dir = cacheRoot().resolve("scripts").resolve(key(text));
        if (Files.isRegularFile(dir.resolve(MAIN_FILE))) return dir;
        Files.createDirectories(dir.getParent());
        Path tmp = Files.createTempDirectory(dir.getParent(), "compiling-");
        try {
            String main = compile(source, tmp);
            if (main == null) return null;
            Files.writeString(tmp.resolve(MAIN_FILE), main);
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException another) {
                // another run compiled the same source meanwhile: use its classes
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot move the compiled script into " + dir + ": " + e.getMessage(), e);
            }
            return dir;
        } finally {
            deleteTree(tmp);
        }
    }

    /** Compiles {@code source} into {@code out}; returns its first top-level class (the one run), or null. */
    private static String compile(Path source, Path out) throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            throw new IllegalStateException("this Java runtime has no compiler (java.home "
                    + System.getProperty("java.home") + "): bpf4j script needs a JDK");
        }
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT,
                StandardCharsets.UTF_8)) {
            JavacTask task = (JavacTask) javac.getTask(null, files, diagnostics,
                    List.of("-d", out.toString(), "-cp", System.getProperty("java.class.path"), "-proc:none",
                            "-implicit:none", "-Xlint:deprecation"),
                    null, files.getJavaFileObjects(source));
            String main = null;
            for (CompilationUnitTree unit : task.parse()) {
                String pkg = unit.getPackageName() == null ? "" : unit.getPackageName() + ".";
                for (Tree t : unit.getTypeDecls()) {
                    if (main == null && t instanceof ClassTree c && !c.getSimpleName().isEmpty()) {
                        main = pkg + c.getSimpleName();
                    }
                }
            }
            task.generate(); // analyses, then writes the classes of what has no error
            diagnostics.getDiagnostics().forEach(d -> System.err.println(d.toString()));
            if (diagnostics.getDiagnostics().stream().anyMatch(d -> d.getKind() == Diagnostic.Kind.ERROR)) {
                return null;
            }
            if (main == null) throw new IllegalStateException(source + " declares no class to run");
            return main;
        }
    }

    /**
     * Calls {@code main} as the source launcher does: {@code static main(String[])}, else {@code static main()},
     * else an instance {@code main(String[])} or {@code main()} on a new instance (JEP 512). A failure in it is
     * thrown as it is (bpf4j's handler prints its message).
     */
    private static void invokeMain(Class<?> type, String[] args) throws Exception {
        Method m = find(type, true);
        if (m == null) m = find(type, false);
        if (m == null) throw new IllegalStateException(type.getName() + " has no main method");
        m.setAccessible(true);
        Object target = Modifier.isStatic(m.getModifiers()) ? null : newInstance(type);
        try {
            if (m.getParameterCount() == 1) m.invoke(target, (Object) args);
            else m.invoke(target);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof Exception x) throw x;
            if (e.getCause() instanceof Error x) throw x;
            throw e;
        }
    }

    private static Method find(Class<?> type, boolean statics) {
        for (Class<?>[] params : List.of(new Class<?>[] {String[].class}, new Class<?>[0])) {
            try {
                Method m = type.getDeclaredMethod("main", params);
                if (Modifier.isStatic(m.getModifiers()) == statics && !Modifier.isPrivate(m.getModifiers())) return m;
            } catch (NoSuchMethodException absent) {
                // try the next shape
            }
        }
        return null;
    }

    private static Object newInstance(Class<?> type) throws Exception {
        var c = type.getDeclaredConstructor();
        c.setAccessible(true);
        return c.newInstance();
    }

    /** Waits for the non-daemon threads the program started, as the JVM waits for them before it exits. */
    private static void awaitThreads() throws InterruptedException {
        while (true) {
            Thread other = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t != Thread.currentThread() && !t.isDaemon() && t.isAlive()
                            && !t.getName().equals("DestroyJavaVM"))
                    .findFirst().orElse(null);
            if (other == null) return;
            other.join();
        }
    }

    /** {@code $BPF4J_CACHE_DIR}, else {@code ~/.cache/bpf4j} (as bpf4j-bcc's compiler cache). */
    private static Path cacheRoot() {
        String env = System.getenv("BPF4J_CACHE_DIR");
        return env != null && !env.isBlank() ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".cache", "bpf4j");
    }

    /**
     * The source, the JDK that compiles and runs it, and the class path it is compiled against (each entry's size
     * and time: a rebuilt bpf4j compiles the script again).
     */
    private static String key(String text) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(text.getBytes(StandardCharsets.UTF_8));
            StringBuilder env = new StringBuilder("\0").append(Runtime.version());
            for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
                Path p = Path.of(entry);
                env.append('\0').append(entry);
                try {
                    env.append(' ').append(Files.size(p)).append(' ').append(Files.getLastModifiedTime(p).toMillis());
                } catch (IOException gone) {
                    // a missing entry counts by its name only
                }
            }
            sha.update(env.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest()).substring(0, 32);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (var all = Files.walk(dir)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    private static int run(List<String> command) throws IOException, InterruptedException {
        Process child = new ProcessBuilder(command).inheritIO().start();
        // a signal that ends this JVM ends the child first
        Thread hook = new Thread(() -> {
            child.destroy();
            try {
                child.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Runtime.getRuntime().addShutdownHook(hook);
        int exit = child.waitFor();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException exiting) {
            // a signal is ending the JVM: the hook waited for the child
        }
        return exit;
    }

    private static List<String> jshellCommand(List<String> args) {
        Path startup;
        try {
            startup = Files.createTempFile("bpf4j-jshell", ".jsh");
            Files.writeString(startup, JSHELL_STARTUP);
            startup.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write JShell's start-up file: " + e.getMessage(), e);
        }
        List<String> c = new ArrayList<>();
        c.add(Path.of(System.getProperty("java.home"), "bin", "jshell").toString());
        c.add("--class-path");
        c.add(System.getProperty("java.class.path"));
        // JShell runs snippets in a JVM of its own: native access (FFM downcalls) must be allowed there
        c.add("-R--enable-native-access=ALL-UNNAMED");
        c.add("--startup");
        c.add("DEFAULT");
        c.add("--startup");
        c.add(startup.toString());
        c.addAll(args);
        return c;
    }
}
