package io.bpf4j.output.flame;

import io.bpf4j.core.symbols.Frame;
import io.bpf4j.output.StackCounts;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The flame graph HTML opens in headless Chromium: its script draws a rectangle per frame of the merged call tree,
 * and a search given in the URL highlights exactly the matching frame and shows the matched percent.
 */
class FlameGraphTest {
    private static Frame user(String s) {
        return new Frame(0x401000, s, 0, "/tmp/spin", Frame.Kind.USER);
    }

    private static Frame kernel(String s) {
        return new Frame(0xffffffff81000000L, s, 0, "kernel", Frame.Kind.KERNEL);
    }

    private static Frame jit(String s) {
        return new Frame(0x7f0000000000L, s, 0, "perf-1.map", Frame.Kind.JIT);
    }

    static final StackCounts STACKS = new StackCounts("samples", List.of(
            new StackCounts.Stack("spin", List.of(user("bpf4j_spin"), user("main"), user("__libc_start_main")), 60),
            new StackCounts.Stack("spin", List.of(kernel("clear_page_erms"), kernel("do_syscall_64"), user("read"),
                    user("bpf4j_read"), user("main"), user("__libc_start_main")), 30),
            new StackCounts.Stack("java", List.of(jit("Interpreter"), jit("java.lang.Thread.run"),
                    user("start_thread")), 10)));

    @Test
    void rendersInChromiumAndSearchHighlightsTheFrame() throws Exception {
        Path dir = Files.createTempDirectory("bpf4j-flame");
        Path html = dir.resolve("graph.html");
        try (Writer w = Files.newBufferedWriter(html, StandardCharsets.UTF_8)) {
            FlameGraph.write(STACKS, "test <graph>", w);
        }
        String dom = chromium("--dump-dom", html.toUri() + "#search=bpf4j_sp.n");
        List<String> rects = all(dom, "<rect [^>]*>");
        // all, 2 processes, and the frames of the merged tree: 10 below them
        assertThat(rects).hasSize(13);
        assertThat(rects.stream().filter(r -> r.contains("class=\"match\""))).singleElement()
                .satisfies(r -> assertThat(r).contains("data-name=\"bpf4j_spin\""));
        assertThat(dom).contains("Matched: 60.00%").contains("<title>test &lt;graph&gt;</title>")
                .contains("bpf4j_spin: 60 samples (60.00%)");
        // kernel frames are blue, JIT green, user frames warm: rgb(r,g,b) with the dominant channel
        assertThat(fill(rects, "clear_page_erms")).matches(c -> c[2] > c[0], "blue");
        assertThat(fill(rects, "Interpreter")).matches(c -> c[1] > c[0] && c[1] > c[2], "green");
        assertThat(fill(rects, "main")).matches(c -> c[0] > c[2], "warm");

        Path png = dir.resolve("graph.png");
        chromium("--window-size=1200,400", "--screenshot=" + png, html.toUri() + "#search=bpf4j_spin");
        assertThat(Files.size(png)).isGreaterThan(5_000);
    }

    private static int[] fill(List<String> rects, String name) {
        String r = rects.stream().filter(x -> x.contains("data-name=\"" + name + "\"")).findFirst().orElseThrow();
        Matcher m = Pattern.compile("rgb\\((\\d+),(\\d+),(\\d+)\\)").matcher(r);
        assertThat(m.find()).isTrue();
        return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))};
    }

    private static List<String> all(String s, String regex) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile(regex).matcher(s);
        while (m.find()) out.add(m.group());
        return out;
    }

    private static String chromium(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("chromium", "--headless", "--no-sandbox", "--disable-gpu"));
        cmd.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            assumeTrue(false, "chromium (Debian's package) is needed to render the flame graph: " + e.getMessage());
            throw e;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return out;
    }
}
