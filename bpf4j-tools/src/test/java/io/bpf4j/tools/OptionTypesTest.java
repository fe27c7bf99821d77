package io.bpf4j.tools;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.TypeConversionException;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The option types' parsing and printing, without a kernel: what {@code -d} and counts accept and refuse. */
class OptionTypesTest {

    @ParameterizedTest
    @CsvSource({
            "5, 5000000000",
            "+5, 5000000000",
            "0.5, 500000000",
            ".5, 500000000",
            "5., 5000000000",
            "007.250, 7250000000",
            "0.000000001, 1",
            "0.0000000001, 1",        // below a nanosecond: rounded up, never to 0
            "1.0000000010, 1000000001",
            "2147483647, 2147483647000000000",
    })
    void secondsAccepted(String text, long nanos) {
        assertThat(new OptionTypes.Seconds().convert(text)).isEqualTo(Duration.ofNanos(nanos));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "0.0", "-1", "-0.5", "-99999999999999999999"})
    void secondsNotAboveZero(String text) {
        assertThatThrownBy(() -> new OptionTypes.Seconds().convert(text))
                .isInstanceOf(TypeConversionException.class)
                .hasMessage("'" + text + "' is not a duration: a number of seconds above 0");
    }

    @ParameterizedTest
    @ValueSource(strings = {"2147483648", "2147483647.5", "99999999999999999999"})
    void secondsTooLong(String text) {
        assertThatThrownBy(() -> new OptionTypes.Seconds().convert(text))
                .hasMessage("'" + text + "' seconds is too long: at most 2147483647 (68 years)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "x", "1x", "1.2.3", "+-1", "1e3", "0x10", " - "})
    void secondsNotANumber(String text) {
        assertThatThrownBy(() -> new OptionTypes.Seconds().convert(text))
                .hasMessage("'" + text + "' is not a number of seconds (e.g. 5 or 0.5)");
    }

    @Test
    void secondsPrintedAsWritten() {
        assertThat(OptionTypes.Seconds.format(Duration.ofSeconds(5))).isEqualTo("5");
        assertThat(OptionTypes.Seconds.format(Duration.ofMillis(500))).isEqualTo("0.5");
        assertThat(OptionTypes.Seconds.format(Duration.ofNanos(1_000_001_000))).isEqualTo("1.000001");
        assertThat(OptionTypes.Seconds.format(Duration.ofNanos(1))).isEqualTo("0.000000001");
    }

    @ParameterizedTest
    @CsvSource({"1, 1", "+7, 7", "' 42 ', 42", "9223372036854775807, 9223372036854775807"})
    void wholeAccepted(String text, long n) {
        assertThat(OptionTypes.whole(text, 1, Long.MAX_VALUE, "a count")).isEqualTo(n);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "11", "99999999999999999999", "1.5", "x", ""})
    void wholeRefused(String text) {
        assertThatThrownBy(() -> OptionTypes.whole(text, 1, 10, "a count"))
                .hasMessage("'" + text + "' is not a count: a whole number from 1 to 10");
    }
}
