package io.bpf4j.tools.jvm;

import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * javaclassload on a child JVM (serial collector) that, once the tool is attached, defines {@value #CLASSES}
 * classes it generates ({@code gen_UNIQUE.C0}…, with the JDK's class-file API) in a class loader of its own, then
 * drops that loader and collects, which unloads them: the tool must show each class loaded, in order, by one
 * loader that loaded nothing else, then each unloaded — or, with {@code -c}, that loader's row with exactly those
 * counts. Both probes fire before the child's command returns (define, and the full collection inside
 * System.gc()), so when the child says it is done the events are in the kernel, and stopping the tool prints them.
 */
@KernelTest
class JavaclassloadTest {
    private static final int CLASSES = 5;
    private static final String PROGRAM = """
            import java.io.*;
            import java.lang.classfile.ClassFile;
            import java.lang.constant.ClassDesc;

            public class Loads {
                static ClassLoader loader;

                public static void main(String[] args) throws Exception {
                    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
                    System.out.println("ready");
                    for (String line; (line = in.readLine()) != null; ) {
                        if (line.equals("unload")) {
                            loader = null;
                            System.gc();
                        } else {
                            loader = new Generated(Integer.parseInt(line));
                        }
                        System.out.println("done");
                    }
                }

                static final class Generated extends ClassLoader {
                    Generated(int n) throws Exception {
                        for (int i = 0; i < n; i++) {
                            String name = "gen_UNIQUE.C" + i;
                            byte[] b = ClassFile.of().build(ClassDesc.of(name), c -> { });
                            defineClass(name, b, 0, b.length).getName();
                        }
                    }
                }
            }
            """;

    @TempDir
    Path dir;

    @Test
    void showsEachClassLoadedThenUnloaded() throws Exception {
        try (ControlledJvm child = new ControlledJvm(dir, "Loads", PROGRAM, "-XX:+UseSerialGC")) {
            ToolRun.Running running = ToolRun.start(Javaclassload.class, "-p", Integer.toString(child.pid()));
            child.run(Integer.toString(CLASSES));
            child.run("unload");
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            List<String> lines = r.out().lines().toList();
            assertThat(lines.get(0)).isEqualTo("Tracing class loading in process " + child.pid()
                    + " (language: java)... Ctrl-C to quit.");
            assertThat(lines.get(1)).isEqualTo("TIME     PID     TID     TYPE   SHARED LOADER             CLASS");
            String prefix = "gen_" + child.unique + ".C";
            List<String[]> ours = lines.stream().map(l -> l.trim().split("\\s+"))
                    .filter(c -> c.length == 7 && c[6].startsWith(prefix)).toList();
            assertThat(ours).as(r.out()).hasSize(2 * CLASSES);
            String loader = ours.getFirst()[5];
            assertThat(loader).matches("0x[0-9a-f]+");
            assertThat(lines.stream().filter(l -> l.contains(" " + loader + " ")).count())
                    .as("lines of the child's loader, which defines only the generated classes").isEqualTo(2 * CLASSES);
            List<String> loads = new ArrayList<>(), unloads = new ArrayList<>();
            for (String[] c : ours) {
                assertThat(c[0]).matches("\\d\\d:\\d\\d:\\d\\d");
                assertThat(c[1]).isEqualTo(Integer.toString(child.pid()));
                assertThat(c[4]).as("a generated class is not from the CDS archive").isEqualTo("no");
                assertThat(c[5]).isEqualTo(loader);
                (c[3].equals("load") ? loads : unloads).add(c[3] + " " + c[6]);
            }
            List<String> names = IntStream.range(0, CLASSES).mapToObj(i -> prefix + i).toList();
            assertThat(loads).as("loaded in the order defined").containsExactlyElementsOf(
                    names.stream().map(n -> "load " + n).toList());
            assertThat(unloads).as("the collector unloads them in an order of its own").containsExactlyInAnyOrderElementsOf(
                    names.stream().map(n -> "unload " + n).toList());
            assertThat(ours.subList(0, CLASSES)).as("all loads come before the unloads")
                    .allMatch(c -> c[3].equals("load"));
        }
    }

    @Test
    void countsPerLoader() throws Exception {
        try (ControlledJvm child = new ControlledJvm(dir, "Loads", PROGRAM, "-XX:+UseSerialGC")) {
            ToolRun.Running running = ToolRun.start(Javaclassload.class, "-p", Integer.toString(child.pid()), "-c");
            assertThat(running.outSoFar()).isEqualTo("Tracing class loading in process " + child.pid()
                    + " (language: java)... Ctrl-C to quit.\n");
            child.run(Integer.toString(CLASSES));
            child.run("unload");
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out()).contains("\n\nLOADER               LOADED UNLOADED FIRST CLASS\n");
            List<String> ours = r.linesWith(" gen_" + child.unique + ".C");
            assertThat(ours).as(r.out()).hasSize(1);
            assertThat(ours.getFirst()).matches("0x[0-9a-f]+ +" + CLASSES + " +" + CLASSES + " gen_" + child.unique
                    + "\\.C0");
        }
    }

    @Test
    void json() throws Exception {
        try (ControlledJvm child = new ControlledJvm(dir, "Loads", PROGRAM, "-XX:+UseSerialGC")) {
            ToolRun.Running running = ToolRun.start(Javaclassload.class, "-p", Integer.toString(child.pid()),
                    "--json");
            child.run("1");
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            List<String> ours = r.linesWith("\"name\":\"gen_" + child.unique + ".C0\"");
            assertThat(ours).as(r.out()).hasSize(1);
            assertThat(ours.getFirst()).startsWith("{\"event\":\"class\",\"ts\":")
                    .contains("\"pid\":" + child.pid() + ",").contains("\"shared\":0,")
                    .containsPattern("\"loader\":\"0x[0-9a-f]+\",").contains("\"type\":\"load\",");
        }
    }
}
