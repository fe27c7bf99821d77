package io.bpf4j.tools;

import io.bpf4j.output.recorder.Recorder;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Records bound to a tool object's map types through its BTF, read from the tools jar: nothing is loaded, so a
 * record that does not fit fails before the kernel is asked for anything.
 */
@KernelTest // the tools' BPF objects, built with clang
class AggregatesTest {
    record Hist(int[] slots, String comm) {
    }

    record Misnamed(int[] slot) {
    }

    record Narrow(short[] slots) {
    }

    private static ToolSession session() throws Exception {
        PrintWriter sink = new PrintWriter(new StringWriter());
        return new ToolSession("test", sink, sink, Recorder.open("test", List.of(), sink), false);
    }

    @Test
    void histogramSlotsComeFromTheObjectsBtf() throws Exception {
        try (ToolSession s = session()) {
            s.object("runqlat");
            var hist = Aggregates.values(s, "hists", Hist.class);
            // MAX_SLOTS of bpf4j_tools.h, as the object was compiled: Java declares no count of its own
            assertThat(Aggregates.zero(hist).slots()).hasSize(27);
            assertThat(hist.size()).isEqualTo(s.spec().map("hists").orElseThrow().spec().valueSize());
        }
    }

    @Test
    void aRecordThatDoesNotFitFailsNamingTheField() throws Exception {
        try (ToolSession s = session()) {
            s.object("runqlat");
            assertThatThrownBy(() -> Aggregates.values(s, "hists", Misnamed.class))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no field named 'slot'");
            assertThatThrownBy(() -> Aggregates.values(s, "hists", Narrow.class))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Narrow.slots");
            assertThatThrownBy(() -> Aggregates.values(s, "nosuchmap", Hist.class))
                    .hasMessageContaining("no map 'nosuchmap'");
        }
    }
}
