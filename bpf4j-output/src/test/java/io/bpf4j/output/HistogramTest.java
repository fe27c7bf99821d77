package io.bpf4j.output;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The text is bcc's {@code print_log2_hist} / {@code print_linear_hist} (table.py) character for character: header
 * {@code "     %-19s : count     distribution"}, rows {@code "%10d -> %-10d : %-8d |%-40s|"}, bars of
 * {@code floor(40 * count / max)} stars, rows up to the last non-empty slot, wide columns past 32 slots.
 */
class HistogramTest {
    @Test
    void log2TextIsBccs() {
        long[] slots = new long[27];
        slots[0] = 1;   // 0 -> 1
        slots[1] = 10;  // 2 -> 3
        slots[3] = 40;  // 8 -> 15
        slots[4] = 3;   // 16 -> 31
        String expected = """
                     usecs               : count     distribution
                         0 -> 1          : 1        |*                                       |
                         2 -> 3          : 10       |**********                              |
                         4 -> 7          : 0        |                                        |
                         8 -> 15         : 40       |****************************************|
                        16 -> 31         : 3        |***                                     |
                """;
        assertThat(Histogram.log2("usecs", slots).text()).isEqualTo(expected);
        assertThat(Histogram.log2("usecs", slots).withLabel("pid = 42 [java]").text())
                .isEqualTo("pid = 42 [java]\n" + expected);
    }

    @Test
    void wideColumnsPast32SlotsAndEmptyHistogramsPrintNothing() {
        long[] slots = new long[40];
        slots[33] = 2;
        String text = Histogram.log2("nsecs", slots).text();
        assertThat(text.lines().findFirst()).hasValue("               nsecs                         : count     distribution");
        assertThat(text.lines().toList().getLast())
                .isEqualTo("          8589934592 -> 17179869183          : 2        |********************|");
        assertThat(Histogram.log2("usecs", new long[27]).text()).isEmpty();
    }

    @Test
    void linearTextIsBccs() {
        String text = Histogram.linear("bytes", new long[] {0, 4, 2}, 0, 10).text();
        assertThat(text).isEqualTo("""
                     bytes         : count     distribution
                        0          : 0        |                                        |
                        10         : 4        |****************************************|
                        20         : 2        |********************                    |
                """);
    }

    @Test
    void slotsAndJson() {
        assertThat(List.of(0L, 1L, 2L, 3L, 4L, 1023L, 1024L, -1L).stream().map(Histogram::log2Slot).toList())
                .containsExactly(0, 0, 1, 1, 2, 9, 10, 63);
        Map<String, Object> json = Histogram.log2("usecs", new long[] {0, 5}).toJson();
        assertThat(Json.write(json)).isEqualTo("{\"unit\":\"usecs\",\"scale\":\"log2\",\"buckets\":["
                + "{\"low\":0,\"high\":1,\"count\":0},{\"low\":2,\"high\":3,\"count\":5}]}");
    }
}
