// A runner for bpftrace's runtime test suite (tests/runtime in bpftrace's source, here the one of v0.17.0), written
// from the suite's file format and the observable behaviour of its Python engine; it contains none of the suite.
//
//   java --enable-native-access=ALL-UNNAMED RuntimeSuite.java --dir WORKDIR [options]
//
// WORKDIR is the directory the cases run in: it holds runtime/ (the suite's test files, with runtime/scripts and
// runtime/outputs), testprogs/ and testlibs/ (the suite's helper programs, built). scripts/bpftrace-suite/run
// prepares it. Options:
//   --tracer CMD        the tracer under test (default: bpftrace); a command with arguments ("/repo/bpf4j bt")
//                       replaces the executable the cases name ({{BPFTRACE}} in RUN, the tracer of a PROG)
//   --filter REGEX      only the cases whose id (SUITE.NAME) contains a match
//   --report FILE       one line per case: SUITE<TAB>NAME<TAB>STATUS<TAB>seconds<TAB>reason
//   --expect FILE       ids (SUITE.NAME, one a line, # comments) expected to pass: exit 1 when one of them does not
//   --jobs N            cases run at once (default 1; the cases are not written to run in parallel)
//   --logs DIR          each case's command and output in DIR/SUITE.NAME.log
//   --attach-timeout S  how long the tracer has to say its probes are attached (default 5, as the engine)
//   --tracer-env K=V    an extra variable for the tracer (the engine gives it only the suite's own; repeatable)
//   --list              list the cases (id, and why one would be skipped for its architecture) and stop
//
// Semantics, as the engine's (tests/runtime/engine/{parser,runner}.py):
//  * a file is a suite (its name); cases are separated by empty lines; lines starting with # are comments; a field
//    is a line "KEY value…" whose value has its whitespace runs collapsed to one space. RUN (with {{BPFTRACE}}) or
//    PROG (run as `TRACER -e 'PROG'`), EXPECT (a Python regular expression searched in the output), TIMEOUT (s) are
//    required; BEFORE, AFTER, REQUIRES (repeatable), REQUIRES_FEATURE, MIN_KERNEL, MAX_KERNEL, ARCH, ENV, WILL_FAIL.
//  * ARCH: the engine drops a case made for another architecture without a word; here it is a SKIP that says so.
//  * MIN_KERNEL/MAX_KERNEL against uname -r; REQUIRES: each command (sh -c, PATH = the tracer's directory first,
//    nothing else in the environment) must exit 0; REQUIRES_FEATURE: what `bpftrace --info` reports, asked of the
//    tracer under test (its directory first on PATH, as the engine does). Any of these unmet: SKIP with the reason.
//  * BEFORE starts before the tracer (its pid is {{BEFORE_PID}}); the tracer waits until `pidof` finds the BEFORE
//    command's program (at most TIMEOUT s). The tracer runs in its own session, stdout and stderr together, with
//    __BPFTRACE_NOTIFY_PROBES_ATTACHED=1; it has ATTACH-TIMEOUT s to print the line __BPFTRACE_NOTIFY_PROBES_ATTACHED
//    (or to finish), and from that line TIMEOUT s to finish; AFTER starts when that line is read.
//  * it finished: exit code not 0 (and no WILL_FAIL): FAIL; EXPECT found (multi-line mode): PASS; else FAIL.
//    it did not finish in time: SIGTERM to its process group, then EXPECT searched in all its output (not
//    multi-line): found: PASS, else TIMEOUT. Afterwards BEFORE, the tracer and AFTER are killed, process group and all.
//  * cases that share SUITE.NAME (the suite has a few) are told apart here as SUITE.NAME, SUITE.NAME#2, … in file order.
// Differences from the engine, each to keep a run from hanging or leaking: a tracer that ignores SIGTERM gets
// SIGKILL after 30 s; REQUIRES commands get 60 s; stdin is /dev/null; process groups are killed even when their
// leader has exited; BEFORE's and AFTER's output is kept in the case's log (the engine lets it through).

import java.io.*;
import java.lang.foreign.*;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import java.util.concurrent.*;
import java.util.regex.*;

public class RuntimeSuite {

  // --- the test files ------------------------------------------------------------------------------------------

  record Case(String suite, String name, String id, int fileOrder, String run, String prog, String expect, int timeout,
              String before, String after, String kernelMin, String kernelMax, List<String> requires,
              Map<String, String> env, List<String> arch, Set<String> features, Set<String> negFeatures,
              boolean willFail) {}

  static final Set<String> KNOWN_FEATURES = Set.of("loop", "btf", "kfunc", "probe_read_kernel", "dpath",
      "uprobe_refcount", "signal", "iter:task", "iter:task_file", "libpath_resolv", "dwarf", "aot", "kprobe_multi",
      "skboutput");

  static final class FormatError extends Exception {
    FormatError(String m) { super(m); }
  }

  /** The cases of one test file, in file order. */
  static List<Case> parseFile(Path file) throws IOException, FormatError {
    String suite = file.getFileName().toString();
    String text = Files.readString(file, StandardCharsets.UTF_8);
    List<String> lines = new ArrayList<>();              // with their line ends, as Python's readlines()
    int start = 0;
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) == '\n') { lines.add(text.substring(start, i + 1)); start = i + 1; }
    }
    if (start < text.length()) lines.add(text.substring(start));
    List<Case> cases = new ArrayList<>();
    List<String> block = new ArrayList<>();
    for (int n = 0; n < lines.size(); n++) {
      String line = lines.get(n);
      if (line.startsWith("#")) continue;                  // (as the engine: a comment on the last line ends nothing)
      if (!line.equals("\n")) block.add(line);
      if (line.equals("\n") || n == lines.size() - 1) {
        if (!block.isEmpty()) cases.add(parseCase(block, suite, file));
        block = new ArrayList<>();
      }
    }
    return cases;
  }

  static Case parseCase(List<String> block, String suite, Path file) throws FormatError {
    String name = "", run = "", prog = "", expect = "", before = "", after = "", kmin = "", kmax = "";
    Integer timeout = null;
    List<String> requires = new ArrayList<>(), arch = new ArrayList<>();
    Map<String, String> env = new LinkedHashMap<>();
    Set<String> features = new TreeSet<>(), neg = new TreeSet<>();
    boolean willFail = false;
    for (String item : block) {
      String[] words = item.strip().split("\\s+");
      String key = words[0];
      String value = String.join(" ", Arrays.asList(words).subList(1, words.length));
      switch (key) {
        case "NAME" -> name = value;
        case "RUN" -> run = value;
        case "PROG" -> prog = value;
        case "EXPECT" -> expect = value;
        case "TIMEOUT" -> {
          try { timeout = Integer.parseInt(value.strip()); }
          catch (NumberFormatException e) { throw new FormatError(file + ": TIMEOUT '" + value + "' is not a number"); }
        }
        case "BEFORE" -> before = value;
        case "AFTER" -> after = value;
        case "MIN_KERNEL" -> kmin = value;
        case "MAX_KERNEL" -> kmax = value;
        case "REQUIRES" -> requires.add(value);
        case "ENV" -> {
          for (String e : value.split("\\s+")) {
            if (e.isEmpty()) continue;
            String[] kv = e.split("=", -1);
            if (kv.length != 2) throw new FormatError(file + ": ENV entry '" + e + "' is not KEY=VALUE");
            env.put(kv[0], kv[1]);
          }
        }
        case "ARCH" -> { for (String a : value.split("\\|")) arch.add(a.strip()); }
        case "REQUIRES_FEATURE" -> {
          for (String f : value.split(" ")) {
            f = f.strip();
            if (f.startsWith("!")) neg.add(f.substring(1)); else features.add(f);
          }
          Set<String> unknown = new TreeSet<>(features);
          unknown.addAll(neg);
          unknown.removeAll(KNOWN_FEATURES);
          if (!unknown.isEmpty()) throw new FormatError(file + ": " + unknown + " invalid for REQUIRES_FEATURE");
        }
        case "WILL_FAIL" -> willFail = true;
        default -> throw new FormatError(file + ": field " + key + " is unknown");
      }
    }
    if (name.isEmpty()) throw new FormatError(file + ": a case without NAME");
    if (run.isEmpty() == prog.isEmpty()) throw new FormatError(file + ": " + name + ": needs exactly one of RUN and PROG");
    if (expect.isEmpty()) throw new FormatError(file + ": " + name + ": EXPECT is required");
    if (timeout == null) throw new FormatError(file + ": " + name + ": TIMEOUT is required");
    return new Case(suite, name, null, 0, run, prog, expect, timeout, before, after, kmin, kmax, List.copyOf(requires),
        Collections.unmodifiableMap(env), List.copyOf(arch), features, neg, willFail);
  }

  /** Every case of the suite in runtime/, ordered as the engine runs them (suite, then name), with unique ids. */
  static List<Case> readSuite(Path runtime) throws IOException, FormatError {
    List<Path> files = new ArrayList<>();
    try (var s = Files.list(runtime)) {
      s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith(".")).forEach(files::add);
    }
    files.sort(Comparator.comparing(p -> p.getFileName().toString()));
    List<Case> all = new ArrayList<>();
    for (Path f : files) {
      List<Case> cases = parseFile(f);
      Map<String, Integer> seen = new HashMap<>();
      List<Case> named = new ArrayList<>();
      for (int i = 0; i < cases.size(); i++) {
        Case c = cases.get(i);
        int k = seen.merge(c.name(), 1, Integer::sum);
        String id = c.suite() + "." + c.name() + (k > 1 ? "#" + k : "");
        named.add(new Case(c.suite(), c.name(), id, i, c.run(), c.prog(), c.expect(), c.timeout(), c.before(),
            c.after(), c.kernelMin(), c.kernelMax(), c.requires(), c.env(), c.arch(), c.features(), c.negFeatures(),
            c.willFail()));
      }
      named.sort(Comparator.comparing(Case::name).thenComparingInt(Case::fileOrder));
      all.addAll(named);
    }
    return all;
  }

  // --- Python regular expressions in java.util.regex --------------------------------------------------------------

  /** The EXPECT patterns are Python `re` patterns; this rewrites the few constructs Java reads differently. */
  static String pythonRegexToJava(String p) {
    StringBuilder out = new StringBuilder();
    boolean inClass = false;
    int classStart = -1;
    for (int i = 0; i < p.length(); i++) {
      char c = p.charAt(i);
      if (c == '\\' && i + 1 < p.length()) {
        char d = p.charAt(i + 1);
        if (d == 'Z' && !inClass) out.append("\\z");            // Python's end of string
        else out.append(c).append(d);
        i++;
        continue;
      }
      if (inClass) {
        if (c == ']' && i > classStart) { inClass = false; out.append(c); }
        else if (c == '[' || c == '&' || (c == ']')) out.append('\\').append(c);   // Java: nested class, &&, ] first
        else out.append(c);
        continue;
      }
      switch (c) {
        case '[' -> {
          inClass = true;
          out.append(c);
          if (i + 1 < p.length() && p.charAt(i + 1) == '^') { out.append('^'); i++; }
          classStart = i + 1;                          // a ] here is a literal, as in Python
        }
        case '{' -> {
          Matcher m = Pattern.compile("\\{(\\d*)(,?)(\\d*)}").matcher(p).region(i, p.length());
          boolean quantifier = m.lookingAt() && !(m.group(1).isEmpty() && m.group(3).isEmpty()) && !out.isEmpty();
          if (quantifier) {
            String q = m.group(1).isEmpty() ? "{0," + m.group(3) + "}" : m.group();   // Python's {,n}
            out.append(q);
            i = m.end() - 1;
          } else out.append("\\{");                    // Python: a { that is no quantifier is a literal
        }
        case '}' -> out.append("\\}");
        case '(' -> {
          if (p.startsWith("(?P<", i)) { out.append("(?<"); i += 3; }
          else if (p.startsWith("(?P=", i)) {
            int end = p.indexOf(')', i);
            out.append("\\k<").append(p, i + 4, end).append('>');
            i = end;
          } else out.append(c);
        }
        default -> out.append(c);
      }
    }
    return out.toString();
  }

  static Pattern compile(String pythonRegex, boolean multiline) {
    int flags = Pattern.UNIX_LINES | Pattern.UNICODE_CHARACTER_CLASS | Pattern.UNICODE_CASE;
    if (multiline) flags |= Pattern.MULTILINE;
    return Pattern.compile(pythonRegexToJava(pythonRegex), flags);
  }

  // --- the machine ----------------------------------------------------------------------------------------------

  static String machine() {
    try {
      Process p = new ProcessBuilder("uname", "-m").redirectErrorStream(true).start();
      String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip().toLowerCase(Locale.ROOT);
      p.waitFor();
      return s;
    } catch (IOException | InterruptedException e) {
      return System.getProperty("os.arch").equals("amd64") ? "x86_64" : System.getProperty("os.arch");
    }
  }

  static String kernelRelease() throws IOException {
    return Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
  }

  /** distutils' LooseVersion order: runs of digits compare as numbers, runs of letters as strings, dots dropped. */
  static int compareLoose(String a, String b) {
    List<Object> x = looseParts(a), y = looseParts(b);
    for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
      Object u = x.get(i), v = y.get(i);
      int r;
      if (u instanceof Long l && v instanceof Long m) r = Long.compare(l, m);
      else if (u instanceof String s && v instanceof String t) r = s.compareTo(t);
      else r = u instanceof Long ? -1 : 1;           // (Python 3 would raise here; numbers first)
      if (r != 0) return r;
    }
    return Integer.compare(x.size(), y.size());
  }

  static List<Object> looseParts(String v) {
    List<Object> parts = new ArrayList<>();
    Matcher m = Pattern.compile("(\\d+|[a-z]+|\\.)", Pattern.CASE_INSENSITIVE).matcher(v);
    int at = 0;
    while (at < v.length()) {
      if (m.find(at) && m.start() == at) {
        String s = m.group();
        if (!s.equals(".")) parts.add(s.chars().allMatch(Character::isDigit) ? (Object) Long.parseLong(s) : s);
        at = m.end();
      } else {
        parts.add(String.valueOf(v.charAt(at)));
        at++;
      }
    }
    return parts;
  }

  // --- processes: sessions and process groups --------------------------------------------------------------------

  static final MethodHandle KILL;
  static {
    Linker linker = Linker.nativeLinker();
    KILL = linker.downcallHandle(linker.defaultLookup().find("kill").orElseThrow(),
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
  }
  static final int SIGKILL = 9, SIGTERM = 15;

  /** Signals the process group that `setsid` made of the process (and, should it not be a group, the process and
   *  its descendants). */
  static void killGroup(Process p, int signal) {
    if (p == null) return;
    int r;
    try { r = (int) KILL.invokeExact((int) -p.pid(), signal); } catch (Throwable t) { r = -1; }
    if (r != 0 && p.isAlive()) {
      p.descendants().forEach(h -> { try { int ignored = (int) KILL.invokeExact((int) h.pid(), signal); } catch (Throwable t) { } });
      try { int ignored = (int) KILL.invokeExact((int) p.pid(), signal); } catch (Throwable t) { }
    }
  }

  /** `sh -c COMMAND` in a new session (setsid execs it in place: the pid is the shell's and the group's). */
  static ProcessBuilder shell(String command, Path dir) {
    return new ProcessBuilder("/usr/bin/setsid", "/bin/sh", "-c", command).directory(dir.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
  }

  /** Pids `pidof NAME` prints (empty: none). */
  static List<String> pidof(String name) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("pidof", name).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return p.waitFor() == 0 ? Arrays.asList(out.strip().split("\\s+")) : List.of();
  }

  /** Reads a process's output as Python's text mode does (\r\n and \r become \n), line by line, noting the line that
   *  says the probes are attached. */
  static final class Output implements Runnable {
    static final String ATTACHED = "__BPFTRACE_NOTIFY_PROBES_ATTACHED";
    final InputStream in;
    final StringBuilder text = new StringBuilder();
    long attachedAt = -1;                  // System.nanoTime() when the attached line was read
    boolean eof;

    Output(InputStream in) { this.in = in; }

    public void run() {
      try (Reader r = new InputStreamReader(in, StandardCharsets.UTF_8)) {
        StringBuilder line = new StringBuilder();
        int c;
        boolean cr = false;
        while ((c = r.read()) != -1) {
          if (cr && c == '\n') { cr = false; continue; }
          cr = c == '\r';
          if (c == '\r' || c == '\n') { line(line.append('\n')); line.setLength(0); }
          else line.append((char) c);
        }
        if (!line.isEmpty()) line(line);
      } catch (IOException e) {
        // the pipe went away with the process
      }
      synchronized (this) { eof = true; notifyAll(); }
    }

    private synchronized void line(CharSequence l) {
      text.append(l);
      if (attachedAt < 0 && l.toString().equals(ATTACHED + "\n")) attachedAt = System.nanoTime();
      notifyAll();
    }

    synchronized String text() { return text.toString(); }
  }

  // --- running a case -------------------------------------------------------------------------------------------

  enum Status { PASS, FAIL, TIMEOUT, SKIP }

  record Result(Case c, Status status, String reason, double seconds, String command, String output) {}

  final Path dir;                   // where the cases run (runtime/, testprogs/, testlibs/)
  final String tracer;              // what replaces the suite's bpftrace in RUN and PROG
  final Path tracerDir;             // the directory the engine puts first on PATH (a bpftrace there is the tracer)
  final String machine, kernel;
  final long attachTimeoutNanos;
  final Map<String, String> tracerEnv;
  final Path logs;
  private Map<String, Boolean> features;
  private String featureSource;

  RuntimeSuite(Path dir, String tracer, Path tracerDir, long attachTimeoutNanos, Map<String, String> tracerEnv, Path logs)
      throws IOException {
    this.dir = dir;
    this.tracer = tracer;
    this.tracerDir = tracerDir;
    this.machine = machine();
    this.kernel = kernelRelease();
    this.attachTimeoutNanos = attachTimeoutNanos;
    this.tracerEnv = tracerEnv;
    this.logs = logs;
  }

  String enginePath() { return tracerDir + ":" + System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"); }

  /** What `bpftrace --info` (the tracer under test: its directory is first on PATH) reports, as the engine reads it. */
  synchronized Map<String, Boolean> features() {
    if (features != null) return features;
    String info;
    try {
      ProcessBuilder pb = shell("bpftrace --info", dir).redirectErrorStream(true);
      pb.environment().clear();
      pb.environment().put("PATH", enginePath());
      Process p = pb.start();
      info = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int rc = p.waitFor();
      featureSource = "`" + tracer + " --info`" + (rc == 0 ? "" : " (exit " + rc + ")");
    } catch (IOException | InterruptedException e) {
      info = "";
      featureSource = "`" + tracer + " --info` (" + e.getMessage() + ")";
    }
    Map<String, String> says = new LinkedHashMap<>();
    says.put("loop", "Loop support: yes");
    says.put("probe_read_kernel", "probe_read_kernel: yes");
    says.put("btf", "btf: yes");
    says.put("kfunc", "kfunc: yes");
    says.put("dpath", "dpath: yes");
    says.put("uprobe_refcount", "uprobe refcount (depends on Build:bcc bpf_attach_uprobe refcount): yes");
    says.put("signal", "send_signal: yes");
    says.put("iter:task", "iter:task: yes");
    says.put("iter:task_file", "iter:task_file: yes");
    says.put("libpath_resolv", "bcc library path resolution: yes");
    says.put("dwarf", "libdw (DWARF support): yes");
    says.put("kprobe_multi", "kprobe_multi: yes");
    says.put("skboutput", "skboutput: yes");
    Map<String, Boolean> f = new TreeMap<>();
    for (var e : says.entrySet()) f.put(e.getKey(), info.contains(e.getValue()));
    // the engine takes "aot" from bpftrace's build (LIBBCC_BPF_CONTAINS_RUNTIME); here: an AOT runtime beside it
    f.put("aot", Files.isExecutable(tracerDir.resolve("aot/bpftrace-aotrt")));
    featureTexts = says;
    return features = f;
  }
  private Map<String, String> featureTexts = Map.of();

  String featureReason(String feature, boolean wanted) {
    String text = feature.equals("aot") ? "an AOT runtime at " + tracerDir.resolve("aot/bpftrace-aotrt")
        : "'" + featureTexts.get(feature) + "'";
    return wanted ? "missing feature " + feature + ": " + featureSource + " does not report " + text
        : "feature " + feature + " present, the case needs it absent: " + featureSource + " reports " + text;
  }

  String command(Case c) {
    String aotrt = tracerDir.resolve("aot/bpftrace-aotrt").toString();
    if (!c.run().isEmpty()) return c.run().replace("{{BPFTRACE}}", tracer).replace("{{BPFTRACE_AOTRT}}", aotrt);
    return tracer + " -e '" + c.prog() + "'";
  }

  /** Why the case cannot run here, or null. */
  String skipReason(Case c) throws IOException, InterruptedException {
    if (!c.arch().isEmpty() && !c.arch().contains(machine))
      return "architecture: the case is for " + String.join("|", c.arch()) + ", this machine is " + machine;
    if (!c.kernelMin().isEmpty() && compareLoose(c.kernelMin(), kernel) > 0)
      return "kernel: the case needs at least " + c.kernelMin() + ", this one is " + kernel;
    if (!c.kernelMax().isEmpty() && compareLoose(c.kernelMax(), kernel) < 0)
      return "kernel: the case needs at most " + c.kernelMax() + ", this one is " + kernel;
    String disabled = System.getenv().getOrDefault("RUNTIME_TEST_DISABLE", "");
    if (Arrays.asList(disabled.split(",")).contains(c.suite() + "." + c.name()))
      return "disabled by RUNTIME_TEST_DISABLE";
    for (String req : c.requires()) {
      ProcessBuilder pb = shell(req, dir).redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.DISCARD);
      pb.environment().clear();
      pb.environment().put("PATH", enginePath());
      Process p = pb.start();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        killGroup(p, SIGKILL);
        return "REQUIRES did not finish in 60 s: " + req;
      }
      killGroup(p, SIGKILL);
      if (p.exitValue() != 0) return "REQUIRES failed (exit " + p.exitValue() + "): " + req;
    }
    for (String f : c.features()) if (!features().get(f)) return featureReason(f, true);
    for (String f : c.negFeatures()) if (features().get(f)) return featureReason(f, false);
    return null;
  }

  Result run(Case c) {
    long t0 = System.nanoTime();
    String cmd = command(c);
    Process before = null, tracerProcess = null, after = null;
    Output out = null;
    StringBuilder log = new StringBuilder();
    try {
      String skip = skipReason(c);
      if (skip != null) return new Result(c, Status.SKIP, skip, secs(t0), cmd, "");

      if (!c.before().isEmpty()) {
        before = shell(c.before(), dir).redirectErrorStream(true)
            .redirectOutput(logFile(c, "before")).start();
        String[] words = c.before().split("\\s+");
        String child = Path.of(words[words.length - 1]).getFileName().toString();
        long deadline = System.nanoTime() + c.timeout() * 1_000_000_000L;
        List<String> pids;
        while ((pids = pidof(child)).isEmpty()) {
          if (System.nanoTime() > deadline)
            return new Result(c, Status.TIMEOUT, "BEFORE's " + child + " not running after " + c.timeout() + " s: "
                + c.before(), secs(t0), cmd, "");
          Thread.sleep(100);
        }
        if (cmd.contains("{{BEFORE_PID}}")) cmd = cmd.replace("{{BEFORE_PID}}", pids.get(0));
      }

      ProcessBuilder pb = shell(cmd, dir).redirectErrorStream(true);
      pb.environment().clear();
      pb.environment().put("test", c.name());
      pb.environment().put("__BPFTRACE_NOTIFY_PROBES_ATTACHED", "1");
      pb.environment().put("__BPFTRACE_NOTIFY_AOT_PORTABILITY_DISABLED", "1");
      pb.environment().put("BPFTRACE_VERIFY_LLVM_IR", "1");
      pb.environment().putAll(c.env());
      pb.environment().putAll(tracerEnv);
      tracerProcess = pb.start();
      final Process tp = tracerProcess;
      out = new Output(tracerProcess.getInputStream());
      Thread reader = Thread.ofPlatform().daemon().start(out);
      final Output o = out;
      tracerProcess.onExit().thenRun(() -> { synchronized (o) { o.notifyAll(); } });

      // until the attached line (or the end), ATTACH-TIMEOUT; from that line, TIMEOUT
      long deadline = System.nanoTime() + attachTimeoutNanos;
      boolean timedOut = false, attached = false;
      synchronized (out) {
        while (true) {
          if (out.eof && !tp.isAlive()) break;
          if (out.attachedAt >= 0 && !attached) {
            attached = true;
            deadline = out.attachedAt + (c.timeout() == 0 ? 5 : c.timeout()) * 1_000_000_000L;
            if (!c.after().isEmpty())
              after = shell(c.after(), dir).redirectErrorStream(true).redirectOutput(logFile(c, "after")).start();
          }
          long left = deadline - System.nanoTime();
          if (left <= 0) { timedOut = true; break; }
          out.wait(Math.max(1, left / 1_000_000));
        }
      }
      String output;
      if (timedOut) {
        killGroup(tracerProcess, SIGTERM);
        if (!tracerProcess.waitFor(30, TimeUnit.SECONDS)) killGroup(tracerProcess, SIGKILL);
        tracerProcess.waitFor();
        reader.join(5_000);
        output = out.text();
        String limit = attached ? "TIMEOUT " + c.timeout() + " s after the attached line"
            : "no attached line within " + attachTimeoutNanos / 1_000_000_000.0 + " s";
        if (compile(c.expect(), false).matcher(output).find())
          return new Result(c, Status.PASS, "matched after SIGTERM (" + limit + ")", secs(t0), cmd, output);
        return new Result(c, Status.TIMEOUT, limit + "; expected /" + c.expect() + "/", secs(t0), cmd, output);
      }
      reader.join(5_000);
      output = out.text();
      int rc = tracerProcess.exitValue();
      if (rc != 0 && !c.willFail())
        return new Result(c, Status.FAIL, "exit code " + rc + " (no WILL_FAIL)", secs(t0), cmd, output);
      if (compile(c.expect(), true).matcher(output).find())
        return new Result(c, Status.PASS, "", secs(t0), cmd, output);
      return new Result(c, Status.FAIL, "expected /" + c.expect() + "/ not in the output", secs(t0), cmd, output);
    } catch (IOException e) {
      return new Result(c, Status.FAIL, "runner: " + e, secs(t0), cmd, out == null ? "" : out.text());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(c, Status.FAIL, "runner interrupted", secs(t0), cmd, out == null ? "" : out.text());
    } finally {
      killGroup(before, SIGKILL);
      killGroup(tracerProcess, SIGKILL);
      killGroup(after, SIGKILL);
      for (Process p : new Process[] {before, tracerProcess, after}) {
        if (p != null) try { p.waitFor(10, TimeUnit.SECONDS); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
      }
    }
  }

  ProcessBuilder.Redirect logFile(Case c, String what) {
    if (logs == null) return ProcessBuilder.Redirect.DISCARD;
    return ProcessBuilder.Redirect.to(logs.resolve(fileName(c) + "." + what).toFile());
  }

  static String fileName(Case c) { return c.id().replaceAll("[^A-Za-z0-9._#+-]", "_"); }

  static double secs(long t0) { return (System.nanoTime() - t0) / 1e9; }

  // --- main -----------------------------------------------------------------------------------------------------

  static void usage(String why) {
    System.err.println("RuntimeSuite: " + why);
    System.err.println("usage: java RuntimeSuite.java --dir WORKDIR [--tracer CMD] [--filter REGEX] [--report FILE]"
        + " [--expect FILE] [--jobs N] [--logs DIR] [--attach-timeout S] [--tracer-env K=V]… [--list]");
    System.exit(2);
  }

  public static void main(String[] args) throws Exception {
    Path dir = null, report = null, expectFile = null, logs = null;
    String tracerArg = "bpftrace";
    Pattern filter = null;
    int jobs = 1;
    double attachTimeout = 5;
    boolean list = false;
    Map<String, String> tracerEnv = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--list")) { list = true; continue; }
      if (a.equals("-h") || a.equals("--help")) usage("the bpftrace runtime suite's runner");
      if (i + 1 >= args.length) usage(a + " needs a value");
      String v = args[++i];
      switch (a) {
        case "--dir" -> dir = Path.of(v).toAbsolutePath();
        case "--tracer" -> tracerArg = v;
        case "--filter" -> filter = Pattern.compile(v);
        case "--report" -> report = Path.of(v);
        case "--expect" -> expectFile = Path.of(v);
        case "--logs" -> logs = Path.of(v).toAbsolutePath();
        case "--jobs" -> jobs = Integer.parseInt(v);
        case "--attach-timeout" -> attachTimeout = Double.parseDouble(v);
        case "--tracer-env" -> {
          int eq = v.indexOf('=');
          if (eq <= 0) usage("--tracer-env wants NAME=VALUE");
          tracerEnv.put(v.substring(0, eq), v.substring(eq + 1));
        }
        default -> usage("unknown option " + a);
      }
    }
    if (dir == null) usage("--dir is required");
    if (jobs < 1) usage("--jobs must be at least 1");

    List<Case> cases;
    try {
      cases = readSuite(dir.resolve("runtime"));
    } catch (FormatError e) {
      System.err.println("RuntimeSuite: " + e.getMessage());
      System.exit(2);
      return;
    }
    for (Case c : cases) {
      try { compile(c.expect(), true); compile(c.expect(), false); }
      catch (PatternSyntaxException e) {
        System.err.println("RuntimeSuite: " + c.id() + ": EXPECT does not translate: " + e.getMessage());
        System.exit(2);
      }
    }
    Set<String> ids = new HashSet<>();
    for (Case c : cases) ids.add(c.id());

    // the tracer: one word is an executable (found on PATH), anything else a command put in a `bpftrace` shim
    String tracer;
    Path tracerDir;
    if (!tracerArg.strip().contains(" ")) {
      Path exe = which(tracerArg.strip());
      if (exe == null) { System.err.println("RuntimeSuite: tracer " + tracerArg + " not found"); System.exit(2); }
      tracer = exe.toString();
      if (exe.getFileName().toString().equals("bpftrace")) tracerDir = exe.getParent();
      else tracerDir = shim(tracer);
    } else {
      tracer = tracerArg.strip();
      tracerDir = shim(tracer);
    }

    if (list) {
      RuntimeSuite s = new RuntimeSuite(dir, tracer, tracerDir, 0, tracerEnv, null);
      for (Case c : cases) {
        if (filter != null && !filter.matcher(c.id()).find()) continue;
        boolean other = !c.arch().isEmpty() && !c.arch().contains(s.machine);
        System.out.println(c.id() + (other ? "\t(for " + String.join("|", c.arch()) + ")" : ""));
      }
      return;
    }

    List<String> expected = new ArrayList<>();
    if (expectFile != null) {
      for (String l : Files.readAllLines(expectFile)) {
        l = l.strip();
        if (l.isEmpty() || l.startsWith("#")) continue;
        if (!ids.contains(l)) { System.err.println("RuntimeSuite: " + expectFile + ": no case " + l); System.exit(2); }
        expected.add(l);
      }
    }
    if (logs != null) Files.createDirectories(logs);

    RuntimeSuite suite = new RuntimeSuite(dir, tracer, tracerDir, (long) (attachTimeout * 1e9), tracerEnv, logs);
    List<Case> selected = new ArrayList<>();
    for (Case c : cases) if (filter == null || filter.matcher(c.id()).find()) selected.add(c);

    System.out.println("[==========] " + selected.size() + " of " + cases.size() + " cases; tracer: " + tracer
        + "; kernel " + suite.kernel + " (" + suite.machine + "); in " + dir);
    long t0 = System.nanoTime();
    Map<Case, Result> results = new ConcurrentHashMap<>();
    final boolean serial = jobs == 1;
    ExecutorService pool = Executors.newFixedThreadPool(jobs);
    List<Future<?>> futures = new ArrayList<>();
    for (Case c : selected) {
      futures.add(pool.submit(() -> {
        if (serial) System.out.println("[ RUN      ] " + c.id());
        Result r = suite.run(c);
        results.put(c, r);
        suite.log(r);
        synchronized (System.out) { print(r); }
      }));
    }
    for (Future<?> f : futures) f.get();
    pool.shutdown();
    double wall = secs(t0);

    Map<Status, Integer> counts = new EnumMap<>(Status.class);
    for (Status s : Status.values()) counts.put(s, 0);
    List<Result> ordered = new ArrayList<>();
    for (Case c : selected) { Result r = results.get(c); ordered.add(r); counts.merge(r.status(), 1, Integer::sum); }

    if (report != null) {
      try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(report))) {
        for (Result r : ordered)
          w.printf(Locale.ROOT, "%s\t%s\t%s\t%.2fs\t%s%n", r.c().suite(), r.c().id().substring(r.c().suite().length() + 1),
              r.status(), r.seconds(), r.reason().replace('\n', ' ').replace('\t', ' '));
      }
    }

    System.out.println();
    for (Status s : List.of(Status.SKIP, Status.FAIL, Status.TIMEOUT)) {
      for (Result r : ordered) if (r.status() == s) System.out.println("[ " + pad(s) + " ] " + r.c().id() + ": " + r.reason());
    }
    int ran = selected.size() - counts.get(Status.SKIP);
    System.out.printf(Locale.ROOT, "[==========] %d cases: %d passed, %d failed, %d timed out, %d skipped (%d ran); %.1f s%n",
        selected.size(), counts.get(Status.PASS), counts.get(Status.FAIL), counts.get(Status.TIMEOUT),
        counts.get(Status.SKIP), ran, wall);

    boolean ok;
    if (expectFile != null) {
      Set<String> sel = new HashSet<>();
      for (Case c : selected) sel.add(c.id());
      List<String> missed = new ArrayList<>();
      int considered = 0;
      for (String id : expected) {
        if (!sel.contains(id)) continue;
        considered++;
        Result r = null;
        for (Result x : ordered) if (x.c().id().equals(id)) { r = x; break; }
        if (r.status() != Status.PASS) missed.add(id + " (" + r.status() + ": " + r.reason() + ")");
      }
      int extra = 0;
      Set<String> exp = new HashSet<>(expected);
      for (Result r : ordered) if (r.status() == Status.PASS && !exp.contains(r.c().id())) extra++;
      System.out.println("[==========] expected to pass (" + expectFile + "): " + (considered - missed.size()) + " of "
          + considered + " did" + (extra > 0 ? "; " + extra + " more passed that the list does not name" : ""));
      for (String m : missed) System.out.println("[ MISSED   ] " + m);
      ok = missed.isEmpty();
    } else {
      ok = counts.get(Status.FAIL) + counts.get(Status.TIMEOUT) == 0;
    }
    System.exit(ok ? 0 : 1);
  }

  static String pad(Status s) { return String.format("%-8s", s == Status.SKIP ? "SKIP" : s == Status.FAIL ? "FAILED" : s.name()); }

  static void print(Result r) {
    String d = String.format(Locale.ROOT, "%.2f s", r.seconds());
    switch (r.status()) {
      case PASS -> System.out.println("[       OK ] " + r.c().id() + " (" + d + (r.reason().isEmpty() ? "" : "; " + r.reason()) + ")");
      case SKIP -> System.out.println("[   SKIP   ] " + r.c().id() + " (" + r.reason() + ")");
      default -> {
        System.out.println("[ " + pad(r.status()) + " ] " + r.c().id() + " (" + d + ")");
        System.out.println("    command: " + r.command());
        System.out.println("    why:     " + r.reason());
        List<String> lines = r.output().lines().toList();
        int from = Math.max(0, lines.size() - 15);
        System.out.println("    output" + (from > 0 ? " (last 15 of " + lines.size() + " lines)" : "") + ":");
        for (String l : lines.subList(from, lines.size())) System.out.println("      | " + l);
      }
    }
  }

  void log(Result r) {
    if (logs == null) return;
    try {
      Files.writeString(logs.resolve(fileName(r.c()) + ".log"), "command: " + r.command() + "\nstatus: " + r.status()
          + " " + r.reason() + "\n" + String.format(Locale.ROOT, "seconds: %.2f%n", r.seconds()) + "--- output\n" + r.output());
    } catch (IOException e) {
      System.err.println("RuntimeSuite: log of " + r.c().id() + ": " + e.getMessage());
    }
  }

  static Path which(String name) {
    if (name.contains("/")) { Path p = Path.of(name).toAbsolutePath(); return Files.isExecutable(p) ? p : null; }
    for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
      Path p = Path.of(d.isEmpty() ? "." : d, name);
      if (Files.isExecutable(p) && !Files.isDirectory(p)) return p.toAbsolutePath();
    }
    return null;
  }

  /** A directory holding `bpftrace`, a script that runs the tracer: what REQUIRES and `bpftrace --info` find first
   *  on PATH, as with the engine the bpftrace of the build under test. (RUN and PROG get the command itself.) */
  static Path shim(String tracer) throws IOException {
    Path d = Files.createTempDirectory("bpftrace-suite-tracer");
    Path s = d.resolve("bpftrace");
    // the runner's PATH again, without this directory: a tracer that runs `bpftrace` itself must not find the shim
    String path = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    Files.writeString(s, "#!/bin/sh\nPATH='" + path.replace("'", "'\\''") + "'\nexport PATH\nexec " + tracer + " \"$@\"\n");
    s.toFile().setExecutable(true, false);
    d.toFile().deleteOnExit();
    s.toFile().deleteOnExit();
    return d;
  }
}
