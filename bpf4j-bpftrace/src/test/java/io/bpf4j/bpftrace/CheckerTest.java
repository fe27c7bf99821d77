package io.bpf4j.bpftrace;

import io.bpf4j.bpftrace.ast.SourceException;
import io.bpf4j.bpftrace.check.Analysis;
import io.bpf4j.bpftrace.check.MapInfo;
import io.bpf4j.bpftrace.check.MapKind;
import io.bpf4j.bpftrace.check.ProbeCatalog;
import io.bpf4j.bpftrace.check.ProbeTarget;
import io.bpf4j.bpftrace.check.Type;
import io.bpf4j.core.link.TracepointFormat;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The checker against a fixed catalog: two syscall tracepoints with the layout 6.18 gives them. */
class CheckerTest {
    private static final String OPENAT = """
            name: sys_enter_openat
            format:
            \tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
            \tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;
            \tfield:int dfd;\toffset:16;\tsize:8;\tsigned:0;
            \tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;
            \tfield:int flags;\toffset:32;\tsize:8;\tsigned:0;
            """;
    private static final String SWITCH = """
            \tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;
            \tfield:pid_t prev_pid;\toffset:24;\tsize:4;\tsigned:1;
            """;

    static final ProbeCatalog CATALOG = new ProbeCatalog() {
        @Override
        public List<String> tracepoints() {
            return List.of("sched:sched_switch", "syscalls:sys_enter_openat", "syscalls:sys_exit_openat");
        }

        @Override
        public Optional<TracepointFormat> tracepointFormat(String category, String name) {
            return switch (category + ":" + name) {
                case "syscalls:sys_enter_openat", "syscalls:sys_exit_openat" ->
                        Optional.of(TracepointFormat.parse(category, name, OPENAT).withoutCommonFields());
                case "sched:sched_switch" ->
                        Optional.of(TracepointFormat.parse(category, name, SWITCH).withoutCommonFields());
                default -> Optional.empty();
            };
        }
    };

    private static Analysis check(String source, String... args) {
        return BpfTrace.check(source, CATALOG, List.of(args));
    }

    @Test
    void tracepointFormatsGiveFieldTypes() {
        TracepointFormat f = TracepointFormat.parse("sched", "sched_switch", SWITCH);
        assertThat(f.field("prev_comm").orElseThrow().charArray()).isTrue();
        assertThat(f.field("prev_comm").orElseThrow().declaration()).isEqualTo("char prev_comm[16]");
        TracepointFormat o = TracepointFormat.parse("syscalls", "sys_enter_openat", OPENAT).withoutCommonFields();
        assertThat(o.fields()).extracting(TracepointFormat.Field::name)
                .containsExactly("__syscall_nr", "dfd", "filename", "flags");
        assertThat(o.field("filename").orElseThrow().declaration()).isEqualTo("const char *filename");
    }

    @Test
    void mapShapesAreInferredFromEveryUse() {
        Analysis a = check("""
                t:syscalls:sys_enter_openat { @files[comm, str(args->filename)] = count(); @last = args->flags; }
                t:sched:sched_switch { @who[args->prev_comm] = args->prev_pid; @lat = hist(args->prev_pid); }
                END { @lh = lhist(@last, 0, 100, 10); }
                """);
        MapInfo files = a.maps().get("@files");
        assertThat(files.kind()).isEqualTo(MapKind.COUNT);
        assertThat(files.keys()).containsExactly(new Type.Str(16), new Type.Str(64));
        assertThat(files.keySize()).isEqualTo(80);
        assertThat(a.maps().get("@last").value()).isEqualTo(new Type.Int(8, true));
        assertThat(a.maps().get("@who").keys()).containsExactly(new Type.Str(16));
        assertThat(a.maps().get("@lat").kernelKeySize()).isEqualTo(16);
        assertThat(a.maps().get("@lh").lhistBuckets()).isEqualTo(10);
        assertThat(a.maps().keySet()).containsExactly("@files", "@last", "@lat", "@lh", "@who");
    }

    @Test
    void wildcardsExpandToEveryMatchingTracepoint() {
        Analysis a = check("tracepoint:syscalls:sys_*_openat { @[probe] = count(); }");
        assertThat(a.probes().getFirst().targets()).extracting(ProbeTarget::name).containsExactly(
                "tracepoint:syscalls:sys_enter_openat", "tracepoint:syscalls:sys_exit_openat");
    }

    @Test
    void positionalParametersAreIntegersOrStrings() {
        Analysis a = check("BEGIN { @n = $1; @s = $2; @count = $#; }", "42", "hello");
        assertThat(a.maps().get("@n").value()).isInstanceOf(Type.Int.class);
        assertThat(a.maps().get("@s").value()).isEqualTo(new Type.Str(8));
    }

    @Test
    void positionalParametersInAttachPoints() {
        Analysis a = check("BEG$1 { exit(); } i:ms:$2 { exit(); } t:$3:sys_enter_openat { }", "IN", "250", "syscalls");
        assertThat(a.probes()).extracting(p -> p.targets().getFirst().name())
                .containsExactly("BEGIN", "interval:ms:250", "tracepoint:syscalls:sys_enter_openat");
        assertThat(((ProbeTarget.Interval) a.probes().get(1).targets().getFirst()).periodNs()).isEqualTo(250_000_000L);
    }

    @Test
    void semanticErrorsSayWhatAndWhere() {
        assertThatThrownBy(() -> check("BEGIN { printf(\"%d %d\\n\", 1); }"))
                .isInstanceOf(SourceException.class).hasMessageContaining("2 conversions but 1 argument");
        assertThatThrownBy(() -> check("BEGIN { printf(\"%d\\n\", comm); }")).hasMessageContaining("use %s");
        assertThatThrownBy(() -> check("BEGIN { @x = 1; @x = \"s\"; }"))
                .hasMessageContaining("an integer elsewhere but a string here");
        assertThatThrownBy(() -> check("BEGIN { print(@nope); }")).hasMessageContaining("undefined map: @nope");
        assertThatThrownBy(() -> check("BEGIN { $y = $x; }")).hasMessageContaining("$x is used before");
        assertThatThrownBy(() -> check("BEGIN { count(); }")).hasMessageContaining("must be assigned to a map");
        assertThatThrownBy(() -> check("BEGIN { @x = args->foo; }")).hasMessageContaining("only available in "
                + "tracepoints");
        assertThatThrownBy(() -> check("t:syscalls:sys_enter_openat { @x = args->nope; }"))
                .hasMessageContaining("has no field 'nope'; it has: __syscall_nr, dfd, filename, flags");
        assertThatThrownBy(() -> check("t:syscalls:sys_enter_nope { }")).hasMessageContaining(
                "tracepoint not found: syscalls:sys_enter_nope");
        assertThatThrownBy(() -> check("BEGIN { @x = retval; }")).hasMessageContaining("only available in uretprobes");
        assertThatThrownBy(() -> check("BEGIN { @h = hist(1); @y = @h; }")).hasMessageContaining("print it");
    }

    @Test
    void kernelFunctionProbesAreRefusedWithTheTracepointThatServes() {
        assertThatThrownBy(() -> check("kprobe:__x64_sys_openat { }")).isInstanceOf(SourceException.class)
                .hasMessageMatching("kprobes are not (available on this kernel|supported by bpf4j bt).*")
                .hasMessageContaining("use tracepoint:syscalls:sys_enter_openat instead");
        assertThatThrownBy(() -> check("kretprobe:vfs_openat { }"))
                .hasMessageContaining("use tracepoint:syscalls:sys_exit_openat instead");
        assertThatThrownBy(() -> check("kprobe:vfs_open { }"))
                .hasMessageContaining("use tracepoint:syscalls:sys_enter_openat instead");
        assertThatThrownBy(() -> check("kprobe:sched_switch { }"))
                .hasMessageContaining("use tracepoint:sched:sched_switch instead");
        assertThatThrownBy(() -> check("kretprobe:do_sys_openat2 { }"))
                .hasMessageContaining("use tracepoint:syscalls:sys_exit_openat instead");
        assertThatThrownBy(() -> check("kfunc:vfs_read { }")).hasMessageContaining("fentry/fexit")
                .hasMessageContaining("use a tracepoint");
    }
}
