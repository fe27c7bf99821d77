package io.bpf4j.bcc.compile;

import io.bpf4j.core.BpfObject;
import io.bpf4j.core.object.ObjectSpec;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Not a test: the measurement of how much of bcc's own programs compile and load unchanged. Runs only with
 * {@code -Dbcc.corpus=DIR}, DIR written by {@code scripts/bcc-corpus-extract}; writes
 * {@code target/bcc-corpus.txt}: each program's outcome and the counts.
 */
@KernelTest
@EnabledIfSystemProperty(named = "bcc.corpus", matches = ".+")
class BccCorpusReport {
    private static final Pattern STRING = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"");

    @Test
    void compileAndLoadBccsPrograms() throws Exception {
        Path dir = Path.of(System.getProperty("bcc.corpus"));
        BccCompiler compiler = BccCompiler.create();
        List<Path> sources;
        try (Stream<Path> files = Files.list(dir)) {
            sources = files.filter(p -> p.toString().endsWith(".c")).sorted().toList();
        }
        Map<String, String> outcome = new TreeMap<>();
        int compiled = 0;
        int loaded = 0;
        for (Path c : sources) {
            String name = c.getFileName().toString();
            BccOptions options = BccOptions.defaults(name);
            Path json = dir.resolve(name.replace(".c", ".json"));
            if (Files.exists(json)) {
                String j = Files.readString(json);
                int open = j.indexOf('[');
                Matcher m = STRING.matcher(j.substring(open + 1, j.indexOf(']', open)));
                while (m.find()) options = options.withCflag(m.group(1).replace("\\\"", "\""));
            }
            CompiledSource compiledSource;
            try {
                compiledSource = compiler.compile(Files.readString(c), options);
                compiled++;
            } catch (BccCompileException e) {
                outcome.put(name, "COMPILE " + e.problems().getFirst());
                continue;
            }
            try (BpfObject object = BpfObject.load(ObjectSpec.read(compiledSource.object()))) {
                loaded++;
                outcome.put(name, "LOADED " + object.programs().size() + " programs, " + object.maps().size()
                        + " maps");
            } catch (RuntimeException e) {
                String m = String.valueOf(e.getMessage());
                List<String> lines = m.lines().toList();
                outcome.put(name, "LOAD " + e.getClass().getSimpleName() + ": " + lines.getFirst()
                        + (lines.size() > 1 ? " | " + lines.get(lines.size() > 4 ? lines.size() - 3 : 1) : ""));
            }
        }
        List<String> report = new ArrayList<>();
        outcome.forEach((n, o) -> report.add(n + ": " + o));
        report.add(String.format("%d of %d compiled, %d of %d loaded", compiled, sources.size(), loaded,
                sources.size()));
        Files.write(Path.of("target", "bcc-corpus.txt"), report);
        System.out.println(String.join("\n", report));
    }
}
