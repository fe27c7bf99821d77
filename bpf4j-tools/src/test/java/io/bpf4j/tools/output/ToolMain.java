package io.bpf4j.tools.output;

import picocli.CommandLine;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Runs one tool in a JVM of its own, for tests that signal it: {@code ToolMain TOOL_CLASS ARGS…}. */
public final class ToolMain {
    private ToolMain() {
    }

    public static void main(String[] args) throws Exception {
        Object tool = Class.forName(args[0]).getDeclaredConstructor().newInstance();
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        System.exit(new CommandLine(tool).execute(rest));
    }

    /** Starts {@code tool} with {@code args} in a child JVM on this test's class path, its stderr in its stdout. */
    static Process start(Class<?> tool, String... args) throws IOException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> cmd = new ArrayList<>(List.of(
                // SIGINT at its default: a JVM started with it ignored (a test run launched in the background)
                // would ignore the test's Ctrl-C
                "env", "--default-signal=INT", java, "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), ToolMain.class.getName(), tool.getName()));
        cmd.addAll(Arrays.asList(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }
}
