package io.bpf4j.bcc;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The histogram text against what bcc's own {@code _print_log2_hist} and {@code _print_linear_hist} printed for
 * the same slots (run once with bcc's table.py; the expected text below is its output).
 */
class BccHistogramTest {
    private static long[] slots(int size, long... pairs) {
        long[] v = new long[size];
        for (int i = 0; i < pairs.length; i += 2) v[(int) pairs[i]] = pairs[i + 1];
        return v;
    }

    private static String lines(String... l) {
        return String.join(System.lineSeparator(), l) + System.lineSeparator();
    }

    @Test
    void log2RowsFromSlotOneToTheLastNonEmpty() {
        assertThat(BccHistogram.log2(slots(65, 0, 5, 1, 1, 3, 10, 4, 3, 6, 7), "usecs", false)).isEqualTo(lines(
                "     usecs               : count     distribution",
                "         0 -> 1          : 1        |****                                    |",
                "         2 -> 3          : 0        |                                        |",
                "         4 -> 7          : 10       |****************************************|",
                "         8 -> 15         : 3        |************                            |",
                "        16 -> 31         : 0        |                                        |",
                "        32 -> 63         : 7        |****************************            |"));
    }

    @Test
    void slotZeroIsNotPrintedButScalesTheStars() {
        assertThat(BccHistogram.log2(slots(65, 0, 20, 2, 10, 3, 7), "usecs", false)).isEqualTo(lines(
                "     usecs               : count     distribution",
                "         0 -> 1          : 0        |                                        |",
                "         2 -> 3          : 10       |********************                    |",
                "         4 -> 7          : 7        |**************                          |"));
    }

    @Test
    void beyondSlot32TheColumnsWidenAndTheBarsHalve() {
        String text = BccHistogram.log2(slots(65, 2, 1, 40, 4), "bytes", false);
        assertThat(text).startsWith(lines(
                "               bytes                         : count     distribution",
                "                   0 -> 1                    : 0        |                    |",
                "                   2 -> 3                    : 1        |*****               |"));
        assertThat(text).endsWith(lines(
                "        549755813888 -> 1099511627775        : 4        |********************|"));
        assertThat(text.lines()).hasSize(41);
    }

    @Test
    void stripLeadingZero() {
        assertThat(BccHistogram.log2(slots(65, 5, 2, 7, 9), "kbytes", true)).isEqualTo(lines(
                "     kbytes              : count     distribution",
                "        16 -> 31         : 2        |********                                |",
                "        32 -> 63         : 0        |                                        |",
                "        64 -> 127        : 9        |****************************************|"));
    }

    @Test
    void linear() {
        long[] v = slots(1025, 1, 3, 3, 6);
        assertThat(BccHistogram.linear(v, "len", false)).isEqualTo(lines(
                "     len           : count     distribution",
                "        0          : 0        |                                        |",
                "        1          : 3        |********************                    |",
                "        2          : 0        |                                        |",
                "        3          : 6        |****************************************|"));
        assertThat(BccHistogram.linear(v, "len", true)).isEqualTo(lines(
                "     len           : count     distribution",
                "        1          : 3        |********************                    |",
                "        2          : 0        |                                        |",
                "        3          : 6        |****************************************|"));
    }

    @Test
    void emptyPrintsNothing() {
        assertThat(BccHistogram.log2(new long[65], "usecs", false)).isEmpty();
        assertThat(BccHistogram.linear(new long[1025], "len", false)).isEmpty();
    }
}
