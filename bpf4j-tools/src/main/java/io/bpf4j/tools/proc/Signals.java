package io.bpf4j.tools.proc;

import java.util.List;

/** Linux signal descriptions as glibc's strsignal() gives them, which libbpf-tools prints (x86/arm64 numbers). */
final class Signals {
    private static final List<String> DESCRIPTIONS = List.of("", "Hangup", "Interrupt", "Quit",
            "Illegal instruction", "Trace/breakpoint trap", "Aborted", "Bus error", "Floating point exception",
            "Killed", "User defined signal 1", "Segmentation fault", "User defined signal 2", "Broken pipe",
            "Alarm clock", "Terminated", "Stack fault", "Child exited", "Continued", "Stopped (signal)", "Stopped",
            "Stopped (tty input)", "Stopped (tty output)", "Urgent I/O condition", "CPU time limit exceeded",
            "File size limit exceeded", "Virtual timer expired", "Profiling timer expired", "Window changed",
            "I/O possible", "Power failure", "Bad system call");

    private Signals() {
    }

    /** What strsignal(sig) says, e.g. "Killed" for 9. */
    static String describe(int sig) {
        if (sig > 0 && sig < DESCRIPTIONS.size()) return DESCRIPTIONS.get(sig);
        if (sig >= 32 && sig <= 64) return "Real-time signal " + (sig - 34);
        return "Unknown signal " + sig;
    }
}
