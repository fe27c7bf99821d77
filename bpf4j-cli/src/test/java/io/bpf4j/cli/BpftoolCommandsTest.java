package io.bpf4j.cli;

import io.bpf4j.core.BpfMap;
import io.bpf4j.core.BpfObject;
import io.bpf4j.core.Codec;
import io.bpf4j.core.Program;
import io.bpf4j.core.TestRun;
import io.bpf4j.core.TypedMap;
import io.bpf4j.core.asm.Assembler;
import io.bpf4j.core.asm.Register;
import io.bpf4j.core.link.AutoAttach;
import io.bpf4j.core.link.Link;
import io.bpf4j.core.object.MapType;
import io.bpf4j.core.object.ObjectSpec;
import io.bpf4j.core.object.ProgramSpec;
import io.bpf4j.core.object.ProgramType;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code bpf4j prog|map|link|tracelog} against objects the test loads: the listing names them, the dump of a
 * program with line info equals bpftool's own, map entries are edited and read back, and a bpf_printk line from
 * a test run comes through the trace pipe.
 */
@KernelTest
class BpftoolCommandsTest {
    @BeforeAll
    static void root() {
        ObjectCommandTest.root();
    }

    @Test
    void progListShowAndDumpMatchBpftool() throws Exception {
        ObjectSpec spec = ObjectSpec.read(ObjectCommandTest.fixture("run_opensnoop"));
        try (BpfObject obj = BpfObject.load(spec)) {
            Program p = obj.programs().values().iterator().next();
            int id = p.info().id();
            FeatureCommandTest.Run list = FeatureCommandTest.run("prog", "list");
            assertThat(list.out()).containsPattern("(?m)^" + id + ": tracepoint  name " + p.name() + "  tag "
                    + p.info().tag() + "$");
            FeatureCommandTest.Run show = FeatureCommandTest.run("prog", "show", String.valueOf(id), "--json");
            assertThat(show.out()).startsWith("{\"id\":" + id + ",\"type\":\"tracepoint\"");

            FeatureCommandTest.Run dump = FeatureCommandTest.run("prog", "dump", String.valueOf(id), "--linum");
            assertThat(dump.exit()).as(dump.err()).isZero();
            String bpftool = bpftool("prog", "dump", "xlated", "id", String.valueOf(id), "linum");
            // bpftool adds a function signature line before each function; the rest is line for line the same
            List<String> expected = bpftool.lines().filter(l -> !l.isEmpty() && !l.matches("^\\w.*\\(.*\\):$")).toList();
            assertThat(dump.out().lines().toList()).isEqualTo(expected);
            assertThat(dump.out()).contains("; ").contains("[file:").contains("call bpf_");
        }
    }

    @Test
    void mapUpdateLookupDumpDeleteAndBtfDecoding() throws Exception {
        try (TypedMap<Integer, Long> m = BpfMap.builder(MapType.HASH).name("bpf4j_cli_map").maxEntries(8)
                .build(Codec.INT, Codec.LONG)) {
            String id = String.valueOf(m.map().info().id());
            assertThat(FeatureCommandTest.run("map", "update", id, "key", "7", "0", "0", "0",
                    "value", "hex", "2a", "00", "00", "00", "00", "00", "00", "00").exit()).isZero();
            assertThat(m.get(7)).hasValue(42L);
            assertThat(FeatureCommandTest.run("map", "lookup", id, "key", "0x07", "0", "0", "0").out())
                    .isEqualTo("key: 07 00 00 00  value: 2a 00 00 00 00 00 00 00\n");
            FeatureCommandTest.Run dump = FeatureCommandTest.run("map", "dump", id);
            assertThat(dump.out()).contains("key: 07 00 00 00  value: 2a 00 00 00 00 00 00 00").contains("Found 1 element");
            assertThat(FeatureCommandTest.run("map", "list").out())
                    .containsPattern("(?m)^" + id + ": hash  name bpf4j_cli_map  flags 0x0$");
            FeatureCommandTest.Run wrong = FeatureCommandTest.run("map", "lookup", id, "key", "1", "2");
            assertThat(wrong.exit()).isEqualTo(2);
            assertThat(wrong.err()).contains("4-byte keys; 2 byte(s) given");
            assertThat(FeatureCommandTest.run("map", "delete", id, "key", "7", "0", "0", "0").exit()).isZero();
            assertThat(m.get(7)).isEmpty();
            FeatureCommandTest.Run missing = FeatureCommandTest.run("map", "delete", id, "key", "7", "0", "0", "0");
            assertThat(missing.exit()).isEqualTo(1);
            assertThat(missing.err()).contains("no entry for key 07 00 00 00");
        }
        // a map with BTF: keys and values decoded by their C types
        ObjectSpec spec = ObjectSpec.read(ObjectCommandTest.fixture("run_opensnoop"));
        try (BpfObject obj = BpfObject.load(spec)) {
            BpfMap counts = obj.map("opens_by_pid");
            counts.update(new byte[] {5, 0, 0, 0}, new byte[] {9, 0, 0, 0, 0, 0, 0, 0});
            FeatureCommandTest.Run dump = FeatureCommandTest.run("map", "dump", String.valueOf(counts.info().id()),
                    "--json");
            assertThat(dump.out()).isEqualTo("{\"key\":5,\"value\":9}\n");
        }
    }

    @Test
    void linkListShowsAnAttachedProgram() throws Exception {
        ObjectSpec spec = ObjectSpec.read(ObjectCommandTest.fixture("run_opensnoop"));
        try (BpfObject obj = BpfObject.load(spec);
             Link link = AutoAttach.attach(obj, spec.programs().getFirst()).orElseThrow()) {
            int prog = obj.programs().values().iterator().next().info().id();
            assertThat(FeatureCommandTest.run("link", "list").out())
                    .containsPattern("(?m)^" + link.info().id() + ": perf_event  prog " + prog + "$");
        }
    }

    @Test
    void tracelogPrintsWhatAProgramPrinted() throws Exception {
        String word = "bpf4j" + ThreadLocalRandom.current().nextInt(100_000, 1_000_000); // 11 bytes + NUL
        byte[] text = (word + "\n").getBytes(StandardCharsets.US_ASCII);
        Assembler a = new Assembler();
        for (int i = 0; i < 16; i++) a.stB(Register.R10, -16 + i, i < text.length ? text[i] : 0);
        a.mov64(Register.R1, Register.R10).add64(Register.R1, -16).mov64(Register.R2, text.length + 1)
                .call("trace_printk").mov64(Register.R0, 2).exit();
        try (Program p = Program.load(ProgramSpec.of("printk", ProgramType.XDP, a.build()))) {
            // The kernel keeps the line until a reader reads it, so tracelog may open the pipe before or after the
            // test run; the test stops it once it has printed the line, and nothing has to fit in a duration.
            StringWriter out = new StringWriter(), err = new StringWriter();
            CommandLine cl = Main.commandLine(false);
            cl.setOut(new PrintWriter(out, true));
            cl.setErr(new PrintWriter(err, true));
            TracelogCommand tracelog = (TracelogCommand) cl.getSubcommands().get("tracelog").getCommand();
            CompletableFuture<Integer> exit = new CompletableFuture<>();
            Thread.ofPlatform().daemon().name("bpf4j-tracelog").start(() -> exit.complete(cl.execute("tracelog")));
            p.testRun(TestRun.withData(new byte[64]));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!out.toString().contains(word)) {
                assertThat(exit).as("tracelog runs until stopped: %s", err).isNotDone();
                assertThat(System.nanoTime()).as("the line within 60 s").isLessThan(deadline);
                Thread.sleep(10);
            }
            tracelog.stop();
            FeatureCommandTest.Run r = new FeatureCommandTest.Run(exit.get(60, TimeUnit.SECONDS), out.toString(),
                    err.toString());
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out().lines().filter(l -> l.contains(word))).singleElement()
                    .satisfies(l -> assertThat(l).contains("bpf_trace_printk: " + word));
        }
    }

    private static String bpftool(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("bpftool"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        return out;
    }
}
