package io.bpf4j.cli;

import io.bpf4j.tools.Tool;
import io.bpf4j.tools.registry.Tools;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParameterException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static java.util.Map.entry;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every tool's numeric options and parameters, found in their picocli model, given 0, -1 and an overflow: -1 and
 * 99999999999999999999 never mean anything, and 0 means something only where the table below says so (by what
 * the option means). An invalid value is refused as the command line is parsed — nothing runs — with one line,
 * {@code bpf4j: } and what the option takes, a pointer to {@code --help}, and exit code 2; a valid 0 parses.
 */
class NumericOptionsTest {
    static final String OVERFLOW = "99999999999999999999";

    /**
     * Whether 0 is a valid value, per option: the key is the option's longest name or the parameter's
     * {@code <label>}, for every tool, or {@code "TOOL OPTION"} for one tool (which wins).
     */
    static final Map<String, Boolean> ZERO_IS_VALID = Map.ofEntries(
            // every tool
            entry("--buffer-kb", false),            // a ring buffer of no pages
            entry("--pid", false),                  // PID 0 is the idle task, not a process to trace
            entry("--tid", false),                  // the same for threads
            entry("--uid", true),                   // root
            entry("--duration", false),             // tracing for no time
            entry("<duration>", false),             // profile's, offcputime's: the same
            entry("<interval>", false),             // printing every 0 s
            entry("<count>", false),                // stopping after no interval
            entry("--localport", false),            // port 0 is no port
            entry("--remoteport", false),
            entry("--port", false),
            entry("--stack-storage-size", false),   // a stack map of no stacks
            entry("--perf-max-stack-depth", false), // stacks of no frames
            // one tool
            entry("syscount --interval", true),     // 0: no interval, one summary at the end (libbpf-tools)
            entry("syscount --top", false),         // printing no syscall
            entry("syscount --errno", false),       // 0 is success, not an error
            entry("kmemtrace --interval", true),    // 0: no interval, as syscount's
            entry("kmemtrace --top", false),
            entry("stackcount --interval", false),
            entry("argdist --interval", false),
            entry("argdist --number", false),
            entry("argdist --top", false),
            entry("trace --max-events", false),     // exiting before the first event
            entry("profile --frequency", false),    // no samples
            entry("profile --cpu", true),           // CPU 0, which every machine has
            entry("offcputime --min-block-time", true),  // every block counted
            entry("offcputime --max-block-time", false), // none counted
            entry("offcputime --state", true),      // TASK_RUNNING: threads preempted
            entry("memleak --older", true),         // no allocation pruned for its age
            entry("memleak --min-size", true),      // every size
            entry("memleak --max-size", false),     // no allocation is of 0 bytes or less
            entry("memleak --top-stacks", false),
            entry("javagc --threshold", true),      // every pause shown
            entry("javaobjnew --top-count", false), entry("javaobjnew --top-size", false), // printing no class
            entry("javacalls --top", false), entry("javastat --maxrows", false),           // no row
            entry("ddosdetect --threshold", false), // an alarm at every packet rate
            entry("ddosdetect --window", false),    // a window of no time
            entry("execsnoop --max-args", false));  // no argument at all

    /** The values every numeric option is given. */
    static final List<String> VALUES = List.of("0", "-1", OVERFLOW);

    /** What the tools that need more than options to parse are given. */
    static List<String> required(String tool) {
        return switch (tool) {
            case "javagc", "javaobjnew", "javacalls", "javaflow" -> List.of("-p", String.valueOf(ProcessHandle.current().pid())); // a HotSpot JVM
            case "xdpfilter" -> List.of("-i", "lo");
            case "stackcount", "trace" -> List.of("t:sched:sched_switch");
            default -> List.of();
        };
    }

    /** One numeric option or parameter of one tool, and the command lines that give it a value. */
    record Numeric(String tool, String key, ArgSpec arg, List<String> before, List<String> after) {
        List<String> args(String value) {
            List<String> a = new ArrayList<>(List.of(tool));
            a.addAll(before);
            if (arg instanceof OptionSpec o) a.add(o.longestName());
            a.add(value);
            a.addAll(after);
            return a;
        }

        boolean zeroIsValid() {
            Boolean v = ZERO_IS_VALID.getOrDefault(tool + " " + key, ZERO_IS_VALID.get(key));
            assertThat(v).as("the table says whether 0 is valid for %s %s", tool, key).isNotNull();
            return v;
        }
    }

    /** Every numeric option and positional parameter of every tool. */
    static List<Numeric> numerics() {
        List<Numeric> all = new ArrayList<>();
        for (Tools.Group g : Tools.groups()) {
            for (Class<? extends Tool> t : g.tools()) {
                String tool = t.getAnnotation(CommandLine.Command.class).name();
                CommandSpec spec = Main.commandLine(false, tool).getSubcommands().get(tool).getCommandSpec();
                List<String> required = required(tool);
                boolean positionalRequired = tool.equals("stackcount") || tool.equals("trace");
                for (OptionSpec o : spec.options()) {
                    if (!numeric(o)) continue;
                    List<String> before = new ArrayList<>(required);
                    List<String> after = new ArrayList<>();
                    if (positionalRequired) {
                        after.addAll(before);
                        before.clear();
                    }
                    if (o.longestName().equals("--pid") && required.contains("-p")) before.clear();
                    all.add(new Numeric(tool, o.longestName(), o, before, after));
                }
                for (PositionalParamSpec p : spec.positionalParameters()) {
                    if (!numeric(p)) continue;
                    List<String> before = new ArrayList<>(required);
                    // the parameters before it: a valid interval
                    for (int i = 0; i < p.index().min(); i++) before.add("1");
                    all.add(new Numeric(tool, "<" + p.paramLabel() + ">", p, before, List.of()));
                }
            }
        }
        return all;
    }

    private static boolean numeric(ArgSpec a) {
        Set<Class<?>> types = Set.of(int.class, Integer.class, long.class, Long.class, double.class, Double.class,
                float.class, Float.class, short.class, Short.class, Duration.class);
        if (types.contains(a.type())) return true;
        return a.isMultiValue() && a.auxiliaryTypes().length > 0 && types.contains(a.auxiliaryTypes()[0]);
    }

    @Test
    void everyToolsNumbersAreCheckedOnceByASharedType() {
        List<Numeric> all = numerics();
        assertThat(all).as("numeric options found").hasSizeGreaterThan(60);
        Set<String> used = new HashSet<>();
        for (Numeric n : all) {
            n.zeroIsValid();
            used.add(ZERO_IS_VALID.containsKey(n.tool() + " " + n.key()) ? n.tool() + " " + n.key() : n.key());
            // picocli's own int/long/double accept -1; a converter (OptionTypes…) is what checks the range
            assertThat(n.arg().converters()).as("%s %s has a converter that checks it", n.tool(), n.key())
                    .isNotEmpty();
        }
        assertThat(ZERO_IS_VALID.keySet()).as("table rows that match no option").isSubsetOf(used);
    }

    @Test
    void zeroMinusOneAndAnOverflowAreRefusedWithOneLineUnlessTheyMeanSomething() {
        List<String> walked = new ArrayList<>();
        for (Numeric n : numerics()) {
            for (String value : VALUES) {
                List<String> args = n.args(value);
                boolean valid = value.equals("0") && n.zeroIsValid();
                walked.add(String.join(" ", args) + (valid ? "  (valid)" : ""));
                if (valid) {
                    // parsed, not run
                    CommandLine.ParseResult parsed = Main.commandLine(false, n.tool())
                            .parseArgs(args.toArray(String[]::new)).subcommand();
                    assertThat(((Number) parsed.matchedOptionValue(n.key(), null)).longValue()).isZero();
                    continue;
                }
                assertRefused(n.tool(), n.key(), args);
            }
        }
        // xdpfilter's interval and count come after its addresses, as words: checked by the same types
        for (String value : VALUES) {
            assertRefused("xdpfilter", "interval", List.of("xdpfilter", "-i", "lo", "10.255.255.1", value));
            assertRefused("xdpfilter", "count", List.of("xdpfilter", "-i", "lo", "10.255.255.1", "1", value));
        }
        assertThat(walked).hasSizeGreaterThan(180);
        System.out.println("NumericOptionsTest: " + walked.size() + " command lines:\n  " + String.join("\n  ", walked));
    }

    /** {@code args} is a usage error of {@code tool}: refused as it is parsed, one line naming {@code key}, 2. */
    private static void assertRefused(String tool, String key, List<String> args) {
        String[] a = args.toArray(String[]::new);
        if (!tool.equals("xdpfilter")) {
            // refused by the parser: a tool given a value that means nothing must not run at all
            try {
                Main.commandLine(false, tool).parseArgs(a);
                throw new AssertionError("accepted: bpf4j " + String.join(" ", args));
            } catch (ParameterException expected) {
                // as it should
            }
        }
        BadInputTest.Run r = BadInputTest.run(a);
        String label = key.replace("<", "").replace(">", "");
        assertThat(r.exit()).as("exit code of bpf4j %s; stderr: %s", String.join(" ", args), r.err()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.errLines()).as("bpf4j %s", String.join(" ", args)).hasSize(2);
        String value = args.contains(OVERFLOW) ? OVERFLOW : args.contains("-1") ? "-1" : "'0'";
        assertThat(r.errLines().get(0)).as("bpf4j %s", String.join(" ", args)).startsWith("bpf4j: ")
                .contains(label).contains(value);
        assertThat(r.errLines().get(1)).isEqualTo("Try 'bpf4j " + tool + " --help' for more information.");
    }
}
