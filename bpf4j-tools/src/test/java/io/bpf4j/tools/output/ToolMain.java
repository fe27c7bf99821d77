package io.bpf4j.tools.output;

import picocli.CommandLine;

/** Runs one tool in a JVM of its own, for tests that signal it: {@code ToolMain TOOL_CLASS ARGS…}. */
public final class ToolMain {
    private ToolMain() {
    }

    public static void main(String[] args) throws Exception {
        Object tool = Class.forName(args[0]).getDeclaredConstructor().newInstance();
        String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
        System.exit(new CommandLine(tool).execute(rest));
    }
}
