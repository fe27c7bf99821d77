package io.bpf4j.core.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@code struct perf_event_attr} (include/uapi/linux/perf_event.h, PERF_ATTR_SIZE_VER8 = 136 bytes) laid out by
 * hand, and perf_event_open(2) / the perf ioctls that attach BPF programs. Offsets checked against the C header
 * with offsetof.
 */
public final class PerfEventAttr {
    /** The size this layout has, written into {@link #SIZE_FIELD}. */
    public static final int SIZE = 136;

    /** Field offsets. */
    public static final int TYPE = 0, SIZE_FIELD = 4, CONFIG = 8, SAMPLE_PERIOD = 16, SAMPLE_FREQ = 16,
            SAMPLE_TYPE = 24, READ_FORMAT = 32, FLAGS = 40, WAKEUP_EVENTS = 48, BP_TYPE = 52, CONFIG1 = 56,
            CONFIG2 = 64, BRANCH_SAMPLE_TYPE = 72, SAMPLE_REGS_USER = 80, SAMPLE_STACK_USER = 88, CLOCKID = 92,
            SAMPLE_REGS_INTR = 96, AUX_WATERMARK = 104, SAMPLE_MAX_STACK = 108, AUX_SAMPLE_SIZE = 112,
            SIG_DATA = 120, CONFIG3 = 128;

    /** {@code enum perf_type_id}. */
    public static final int TYPE_HARDWARE = 0, TYPE_SOFTWARE = 1, TYPE_TRACEPOINT = 2, TYPE_HW_CACHE = 3,
            TYPE_RAW = 4, TYPE_BREAKPOINT = 5;

    /** {@code enum perf_sw_ids} (config of {@link #TYPE_SOFTWARE}). */
    public static final long SW_CPU_CLOCK = 0, SW_TASK_CLOCK = 1, SW_PAGE_FAULTS = 2, SW_CONTEXT_SWITCHES = 3,
            SW_BPF_OUTPUT = 10;

    /** {@code enum perf_hw_id} (config of {@link #TYPE_HARDWARE}). */
    public static final long HW_CPU_CYCLES = 0, HW_INSTRUCTIONS = 1;

    /** Bits of the flags word at {@link #FLAGS}. */
    public static final long FLAG_DISABLED = 1L, FLAG_INHERIT = 1L << 1, FLAG_EXCLUDE_USER = 1L << 4,
            FLAG_EXCLUDE_KERNEL = 1L << 5, FLAG_EXCLUDE_HV = 1L << 6, FLAG_FREQ = 1L << 10,
            FLAG_WATERMARK = 1L << 14;

    /** {@code PERF_SAMPLE_RAW}: the sample carries the raw record (perf event array output). */
    public static final long SAMPLE_RAW = 1L << 10;

    /** perf_event_open flags. */
    public static final long FLAG_FD_CLOEXEC = 1L << 3;

    /** ioctl requests on a perf event fd. */
    public static final long IOC_ENABLE = 0x2400, IOC_DISABLE = 0x2401, IOC_SET_BPF = 0x40042408L;

    private PerfEventAttr() {
    }

    /** A zeroed attr with {@code type}, {@code config} and the size field set. */
    public static MemorySegment allocate(Arena arena, int type, long config) {
        MemorySegment attr = arena.allocate(SIZE, 8);
        attr.set(JAVA_INT, TYPE, type);
        attr.set(JAVA_INT, SIZE_FIELD, SIZE);
        attr.set(JAVA_LONG, CONFIG, config);
        return attr;
    }

    /**
     * perf_event_open(attr, pid, cpu, groupFd, flags) with {@link #FLAG_FD_CLOEXEC} added; returns the fd or
     * {@code -errno}.
     */
    public static int open(MemorySegment attr, int pid, int cpu, int groupFd, long flags) {
        return (int) LibC.syscall(LibC.SYS_PERF_EVENT_OPEN, attr, pid, cpu, groupFd, flags | FLAG_FD_CLOEXEC);
    }

    /** ioctl(PERF_EVENT_IOC_SET_BPF, progFd): runs the program on each event; 0 or {@code -errno}. */
    public static int setBpf(int perfFd, int progFd) {
        return LibC.ioctl(perfFd, IOC_SET_BPF, progFd);
    }

    /** ioctl(PERF_EVENT_IOC_DISABLE); 0 or {@code -errno}. */
    public static int disable(int perfFd) {
        return LibC.ioctl(perfFd, IOC_DISABLE, 0);
    }

    /** ioctl(PERF_EVENT_IOC_ENABLE); 0 or {@code -errno}. */
    public static int enable(int perfFd) {
        return LibC.ioctl(perfFd, IOC_ENABLE, 0);
    }
}
