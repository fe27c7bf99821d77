package io.bpf4j.core.internal;

/**
 * Field offsets inside {@code union bpf_attr} for each bpf(2) command, and inside the info structs that
 * BPF_OBJ_GET_INFO_BY_FD fills, as laid out in include/uapi/linux/bpf.h (checked against the C header with
 * offsetof). Kept as constants, not layouts looked up by name, because map operations are a hot path.
 */
final class BpfAttr {
    /** Size passed to bpf(2): large enough for every command bpf4j uses; the kernel zero-checks the tail. */
    static final int SIZE = 160;

    private BpfAttr() {
    }

    /** BPF_MAP_CREATE. */
    static final class MapCreate {
        static final int MAP_TYPE = 0, KEY_SIZE = 4, VALUE_SIZE = 8, MAX_ENTRIES = 12, MAP_FLAGS = 16,
                INNER_MAP_FD = 20, NUMA_NODE = 24, MAP_NAME = 28, MAP_IFINDEX = 44, BTF_FD = 48,
                BTF_KEY_TYPE_ID = 52, BTF_VALUE_TYPE_ID = 56, BTF_VMLINUX_VALUE_TYPE_ID = 60, MAP_EXTRA = 64,
                VALUE_TYPE_BTF_OBJ_FD = 72, MAP_TOKEN_FD = 76;

        private MapCreate() {
        }
    }

    /** BPF_MAP_LOOKUP_ELEM, _UPDATE_ELEM, _DELETE_ELEM, _GET_NEXT_KEY, _LOOKUP_AND_DELETE_ELEM, _FREEZE. */
    static final class MapElem {
        static final int MAP_FD = 0, KEY = 8, VALUE = 16, NEXT_KEY = 16, FLAGS = 24;

        private MapElem() {
        }
    }

    /** BPF_MAP_*_BATCH. */
    static final class MapBatch {
        static final int IN_BATCH = 0, OUT_BATCH = 8, KEYS = 16, VALUES = 24, COUNT = 32, MAP_FD = 36,
                ELEM_FLAGS = 40, FLAGS = 48;

        private MapBatch() {
        }
    }

    /** BPF_PROG_LOAD. */
    static final class ProgLoad {
        static final int PROG_TYPE = 0, INSN_CNT = 4, INSNS = 8, LICENSE = 16, LOG_LEVEL = 24,
                LOG_SIZE = 28, LOG_BUF = 32, KERN_VERSION = 40, PROG_FLAGS = 44, PROG_NAME = 48,
                PROG_IFINDEX = 64, EXPECTED_ATTACH_TYPE = 68, PROG_BTF_FD = 72, FUNC_INFO_REC_SIZE = 76,
                FUNC_INFO = 80, FUNC_INFO_CNT = 88, LINE_INFO_REC_SIZE = 92, LINE_INFO = 96, LINE_INFO_CNT = 104,
                ATTACH_BTF_ID = 108, ATTACH_PROG_FD = 112, ATTACH_BTF_OBJ_FD = 112, CORE_RELO_CNT = 116,
                FD_ARRAY = 120, CORE_RELOS = 128, CORE_RELO_REC_SIZE = 136, LOG_TRUE_SIZE = 140,
                PROG_TOKEN_FD = 144, FD_ARRAY_CNT = 148;

        private ProgLoad() {
        }
    }

    /** BPF_OBJ_PIN and BPF_OBJ_GET. */
    static final class ObjPin {
        static final int PATHNAME = 0, BPF_FD = 8, FILE_FLAGS = 12, PATH_FD = 16;

        private ObjPin() {
        }
    }

    /** BPF_PROG_TEST_RUN. */
    static final class TestRun {
        static final int PROG_FD = 0, RETVAL = 4, DATA_SIZE_IN = 8, DATA_SIZE_OUT = 12, DATA_IN = 16,
                DATA_OUT = 24, REPEAT = 32, DURATION = 36, CTX_SIZE_IN = 40, CTX_SIZE_OUT = 44, CTX_IN = 48,
                CTX_OUT = 56, FLAGS = 64, CPU = 68, BATCH_SIZE = 72;

        private TestRun() {
        }
    }

    /** BPF_*_GET_NEXT_ID and BPF_*_GET_FD_BY_ID. */
    static final class GetId {
        static final int START_ID = 0, ID = 0, NEXT_ID = 4, OPEN_FLAGS = 8;

        private GetId() {
        }
    }

    /** BPF_OBJ_GET_INFO_BY_FD. */
    static final class InfoByFd {
        static final int BPF_FD = 0, INFO_LEN = 4, INFO = 8;

        private InfoByFd() {
        }
    }

    /** BPF_RAW_TRACEPOINT_OPEN. */
    static final class RawTracepoint {
        static final int NAME = 0, PROG_FD = 8, COOKIE = 16;

        private RawTracepoint() {
        }
    }

    /** BPF_BTF_LOAD. */
    static final class BtfLoad {
        static final int BTF = 0, BTF_LOG_BUF = 8, BTF_SIZE = 16, BTF_LOG_SIZE = 20, BTF_LOG_LEVEL = 24,
                BTF_LOG_TRUE_SIZE = 28, BTF_FLAGS = 32, BTF_TOKEN_FD = 36;

        private BtfLoad() {
        }
    }

    /** BPF_LINK_CREATE; the fields from offset 16 on form a union that depends on the attach type. */
    static final class LinkCreate {
        static final int PROG_FD = 0, TARGET_FD = 4, TARGET_IFINDEX = 4, ATTACH_TYPE = 8, FLAGS = 12,
                TARGET_BTF_ID = 16, ITER_INFO = 16, ITER_INFO_LEN = 24, PERF_EVENT_BPF_COOKIE = 16,
                KPROBE_MULTI_FLAGS = 16, KPROBE_MULTI_CNT = 20, KPROBE_MULTI_SYMS = 24, KPROBE_MULTI_ADDRS = 32,
                KPROBE_MULTI_COOKIES = 40, TRACING_TARGET_BTF_ID = 16, TRACING_COOKIE = 24,
                TCX_RELATIVE_FD = 16, TCX_EXPECTED_REVISION = 24, UPROBE_MULTI_PATH = 16,
                UPROBE_MULTI_OFFSETS = 24, UPROBE_MULTI_REF_CTR_OFFSETS = 32, UPROBE_MULTI_COOKIES = 40,
                UPROBE_MULTI_CNT = 48, UPROBE_MULTI_FLAGS = 52, UPROBE_MULTI_PID = 56;

        private LinkCreate() {
        }
    }

    /** BPF_ITER_CREATE. */
    static final class IterCreate {
        static final int LINK_FD = 0;

        private IterCreate() {
        }
    }

    /** BPF_LINK_DETACH. */
    static final class LinkDetach {
        static final int LINK_FD = 0;

        private LinkDetach() {
        }
    }

    /** BPF_ENABLE_STATS. */
    static final class EnableStats {
        static final int TYPE = 0;

        private EnableStats() {
        }
    }

    /** BPF_PROG_ATTACH and BPF_PROG_DETACH. */
    static final class ProgAttach {
        static final int TARGET_FD = 0, ATTACH_BPF_FD = 4, ATTACH_TYPE = 8, ATTACH_FLAGS = 12,
                REPLACE_BPF_FD = 16, RELATIVE_FD = 20, EXPECTED_REVISION = 24;

        private ProgAttach() {
        }
    }

    /** struct bpf_map_info. */
    static final class MapInfo {
        static final int SIZE = 88;
        static final int TYPE = 0, ID = 4, KEY_SIZE = 8, VALUE_SIZE = 12, MAX_ENTRIES = 16, MAP_FLAGS = 20,
                NAME = 24, IFINDEX = 40, BTF_ID = 64, BTF_KEY_TYPE_ID = 68, BTF_VALUE_TYPE_ID = 72, MAP_EXTRA = 80;

        private MapInfo() {
        }
    }

    /** struct bpf_prog_info. */
    static final class ProgInfo {
        static final int SIZE = 232;
        static final int TYPE = 0, ID = 4, TAG = 8, JITED_PROG_LEN = 16, XLATED_PROG_LEN = 20,
                JITED_PROG_INSNS = 24, XLATED_PROG_INSNS = 32, LOAD_TIME = 40, CREATED_BY_UID = 48,
                NR_MAP_IDS = 52, MAP_IDS = 56, NAME = 64, IFINDEX = 80, BTF_ID = 128, FUNC_INFO_REC_SIZE = 132,
                FUNC_INFO = 136, NR_FUNC_INFO = 144, NR_LINE_INFO = 148, LINE_INFO = 152, JITED_LINE_INFO = 160,
                NR_JITED_LINE_INFO = 168, LINE_INFO_REC_SIZE = 172, JITED_LINE_INFO_REC_SIZE = 176,
                NR_PROG_TAGS = 180, PROG_TAGS = 184, RUN_TIME_NS = 192, RUN_CNT = 200, RECURSION_MISSES = 208,
                VERIFIED_INSNS = 216, ATTACH_BTF_OBJ_ID = 220, ATTACH_BTF_ID = 224;

        private ProgInfo() {
        }
    }

    /** struct bpf_link_info (common head; the rest is a union by link type). */
    static final class LinkInfo {
        static final int SIZE = 48;
        static final int TYPE = 0, ID = 4, PROG_ID = 8, UNION = 16;

        private LinkInfo() {
        }
    }

    /** struct bpf_btf_info. */
    static final class BtfInfo {
        static final int SIZE = 32;
        static final int BTF = 0, BTF_SIZE = 8, ID = 12, NAME = 16, NAME_LEN = 24, KERNEL_BTF = 28;

        private BtfInfo() {
        }
    }
}
