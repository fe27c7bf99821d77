package io.bpf4j.core.asm;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/** The helper list matches the machine's uapi header and finds helpers by id and name. */
class HelperTest {
    private static final Path HEADER = Path.of("/usr/include/linux/bpf.h");

    @Test
    void listsEveryHelperOfTheInstalledHeaderWithItsId() throws IOException {
        assumeThat(HEADER).as("linux/bpf.h from linux-libc-dev").exists();

        List<String> fromHeader = helperNamesInMapperOrder(Files.readString(HEADER));
        List<String> fromEnum = Arrays.stream(Helper.values()).map(Helper::shortName).toList();

        assertThat(fromEnum).containsExactlyElementsOf(fromHeader);
        for (Helper helper : Helper.values()) {
            assertThat(helper.id()).as(helper.shortName()).isEqualTo(fromHeader.indexOf(helper.shortName()));
        }
    }

    /**
     * The names in {@code __BPF_FUNC_MAPPER}, whose position is the id. Newer headers write {@code FN(name, id, ...)};
     * an explicit id there must agree with the position.
     */
    private static List<String> helperNamesInMapperOrder(String header) {
        int start = header.indexOf("#define __BPF_FUNC_MAPPER(FN");
        assertThat(start).as("__BPF_FUNC_MAPPER in linux/bpf.h").isNotNegative();
        String mapper = header.substring(start, header.indexOf("\n\n", start));
        Matcher entry = Pattern.compile("FN\\((\\w+)(?:,\\s*(\\d+))?").matcher(mapper);
        List<String> names = new ArrayList<>();
        while (entry.find()) {
            if (entry.group(2) != null) {
                assertThat(Integer.parseInt(entry.group(2))).as(entry.group(1)).isEqualTo(names.size());
            }
            names.add(entry.group(1));
        }
        return names;
    }

    @Test
    void knowsTheWellKnownIds() {
        assertThat(Helper.MAP_LOOKUP_ELEM.id()).isEqualTo(1);
        assertThat(Helper.TRACE_PRINTK.id()).isEqualTo(6);
        assertThat(Helper.RINGBUF_OUTPUT.id()).isEqualTo(130);
        assertThat(Helper.byId(130)).contains(Helper.RINGBUF_OUTPUT);
        assertThat(Helper.byId(-1)).isEmpty();
        assertThat(Helper.byId(Helper.values().length)).isEmpty();
        assertThat(HelperCall.of(Helper.MAP_UPDATE_ELEM).helper()).contains(Helper.MAP_UPDATE_ELEM);
        assertThat(new HelperCall(353184).helper()).isEmpty();
    }

    @Test
    void findsHelpersByNameWithOrWithoutPrefix() {
        assertThat(Helper.byName("map_lookup_elem")).contains(Helper.MAP_LOOKUP_ELEM);
        assertThat(Helper.byName("bpf_map_lookup_elem")).contains(Helper.MAP_LOOKUP_ELEM);
        assertThat(Helper.byName("BPF_RINGBUF_OUTPUT")).contains(Helper.RINGBUF_OUTPUT);
        assertThat(Helper.byName("bpf_")).isEmpty();
        assertThat(Helper.byName("no_such_helper")).isEmpty();
        assertThat(Helper.RINGBUF_OUTPUT.functionName()).isEqualTo("bpf_ringbuf_output");
    }
}
