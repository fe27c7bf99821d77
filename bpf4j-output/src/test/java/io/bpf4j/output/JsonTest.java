package io.bpf4j.output;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class JsonTest {
    private static Map<String, Object> sample() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("a\"b", "x\ny\\z\u0001");
        m.put("list", List.of(1, true, Map.of(), List.of()));
        return m;
    }

    @Test
    void compactEscapesAndNests() {
        assertThat(Json.write(sample())).isEqualTo("{\"a\\\"b\":\"x\\ny\\\\z\\u0001\",\"list\":[1,true,{},[]]}");
    }

    @Test
    void indentedPutsOneMemberPerLine() {
        assertThat(Json.writeIndented(sample())).isEqualTo("""
                {
                  "a\\"b": "x\\ny\\\\z\\u0001",
                  "list": [
                    1,
                    true,
                    {},
                    []
                  ]
                }""");
    }
}
