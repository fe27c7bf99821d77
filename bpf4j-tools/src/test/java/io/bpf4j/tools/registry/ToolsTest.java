package io.bpf4j.tools.registry;

import org.junit.jupiter.api.Test;
import picocli.CommandLine.Command;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The tool table names each tool as its {@code @Command} does, once. */
class ToolsTest {
    @Test
    void namesAreTheCommandsNamesAndAliases() {
        for (Tools.Entry e : Tools.all()) {
            Command c = e.tool().getAnnotation(Command.class);
            assertThat(c).as(e.tool().getName()).isNotNull();
            List<String> names = new ArrayList<>(List.of(c.name()));
            names.addAll(List.of(c.aliases()));
            assertThat(e.names()).as(e.tool().getName()).isEqualTo(names);
            for (String n : names) assertThat(Tools.named(n)).hasValue(e.tool());
        }
        assertThat(Tools.named("nosuchtool")).isEmpty();
    }

    @Test
    void eachToolAndNameOnce() {
        Set<String> names = new HashSet<>();
        Set<Class<?>> classes = new HashSet<>();
        for (Tools.Entry e : Tools.all()) {
            assertThat(classes.add(e.tool())).as(e.tool().getName()).isTrue();
            for (String n : e.names()) assertThat(names.add(n)).as(n).isTrue();
        }
        assertThat(Tools.groups().stream().mapToInt(g -> g.tools().size()).sum()).isEqualTo(Tools.all().size());
    }
}
