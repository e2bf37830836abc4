package io.keel.server.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * What one server answered to every step of an {@link EtcdctlScript}: exit code, stdout and stderr of each
 * etcdctl run, masked by one {@link TranscriptMasker}. Two transcripts of the same script are compared
 * step by step with {@link #differences}.
 */
public final class EtcdctlTranscript {

  /** One step with its raw result and its masked, rendered lines. */
  public record Entry(EtcdctlScript.Step step, Etcdctl.Result raw, List<String> lines) {
  }

  /** Bound on one scripted run; a healthy run of the compat script takes a few seconds. */
  public static final Duration DEFAULT_BUDGET = Duration.ofSeconds(60);

  private final String serverLabel;
  private final List<Entry> entries;

  private EtcdctlTranscript(String serverLabel, List<Entry> entries) {
    this.serverLabel = serverLabel;
    this.entries = List.copyOf(entries);
  }

  /**
   * Runs every step of {@code script} in order against {@code server}. If the server process dies, or the
   * whole run exceeds {@code budget} (a hung server makes every etcdctl wait for its timeouts), the
   * remaining steps are not run and are recorded with exit code -1 and the reason, so the comparison
   * still reports them and the test stays bounded in time.
   */
  public static EtcdctlTranscript record(String serverLabel, EtcdctlScript script, ServerProcess server,
      Duration budget) {
    TranscriptMasker masker = TranscriptMasker.forServer(server);
    return record(serverLabel, script, new Etcdctl(server.clientEndpoint()), masker::mask, arg -> arg,
        () -> server.isAlive() ? null : server.kind() + " exited with code " + server.exitCode().orElse(-1)
            + " (log: " + server.logFile() + ")", budget);
  }

  /**
   * The general form: runs every step with {@code etcdctl}, its arguments passed through {@code args} first
   * (placeholders such as a member id; the transcript shows the step as written), output masked by
   * {@code mask}. {@code deadReason} answers null while the server(s) run, else why not; then, or after
   * {@code budget}, the remaining steps are recorded as not run.
   */
  public static EtcdctlTranscript record(String serverLabel, EtcdctlScript script, Etcdctl etcdctl,
      UnaryOperator<String> mask, UnaryOperator<String> args, Supplier<String> deadReason, Duration budget) {
    List<Entry> entries = new ArrayList<>();
    long deadlineNanos = System.nanoTime() + budget.toNanos();
    String notRun = null;
    for (EtcdctlScript.Step step : script.steps()) {
      if (notRun == null) {
        String dead = deadReason.get();
        notRun = dead == null ? null : "NOT RUN: " + dead;
      }
      if (notRun == null && System.nanoTime() - deadlineNanos > 0) {
        notRun = "NOT RUN: the run exceeded its time budget of " + budget;
      }
      Etcdctl.Result result = notRun != null
          ? new Etcdctl.Result(-1, "", notRun + "\n")
          : etcdctl.run(step.args().stream().map(args).toList(), step.stdin());
      entries.add(new Entry(step, result, render(step, result, mask)));
    }
    return new EtcdctlTranscript(serverLabel, entries);
  }

  /** {@link #record(String, EtcdctlScript, ServerProcess, Duration)} with {@link #DEFAULT_BUDGET}. */
  public static EtcdctlTranscript record(String serverLabel, EtcdctlScript script, ServerProcess server) {
    return record(serverLabel, script, server, DEFAULT_BUDGET);
  }

  /** Builds a transcript from given results (for tests of the comparison itself). */
  static EtcdctlTranscript of(String serverLabel, EtcdctlScript script, List<Etcdctl.Result> results,
      TranscriptMasker masker) {
    if (results.size() != script.steps().size()) {
      throw new IllegalArgumentException("one result per step needed");
    }
    List<Entry> entries = new ArrayList<>();
    for (int i = 0; i < results.size(); i++) {
      EtcdctlScript.Step step = script.steps().get(i);
      entries.add(new Entry(step, results.get(i), render(step, results.get(i), masker::mask)));
    }
    return new EtcdctlTranscript(serverLabel, entries);
  }

  public String serverLabel() {
    return serverLabel;
  }

  public List<Entry> entries() {
    return entries;
  }

  /**
   * Violations of the script's own claims in this transcript: {@code => EXIT "text"} expectations and
   * {@code [label=other]} equalities. Empty when all hold.
   */
  public List<String> expectationFailures() {
    List<String> failures = new ArrayList<>();
    Map<String, Entry> byLabel = new HashMap<>();
    for (Entry entry : entries) {
      EtcdctlScript.Step step = entry.step();
      Etcdctl.Result raw = entry.raw();
      String where = serverLabel + " step #" + step.number() + " (line " + step.line() + ") "
          + step.display();
      if (step.expectedExit() != null && raw.exitCode() != step.expectedExit()) {
        failures.add(where + ": exit " + raw.exitCode() + ", script expects " + step.expectedExit()
            + "\n" + indent(entry.lines()));
      }
      if (step.expectedText() != null && !(raw.stdout() + raw.stderr()).contains(step.expectedText())) {
        failures.add(where + ": output lacks \"" + step.expectedText() + "\"\n" + indent(entry.lines()));
      }
      if (step.sameAs() != null) {
        Entry other = byLabel.get(step.sameAs());
        if (!outputPart(other.lines()).equals(outputPart(entry.lines()))) {
          failures.add(where + ": output differs from step [" + step.sameAs() + "] #"
              + other.step().number() + "\n" + indent(LineDiff.diff(outputPart(other.lines()),
              outputPart(entry.lines()))));
        }
      }
      if (step.label() != null) {
        byLabel.put(step.label(), entry);
      }
    }
    return failures;
  }

  /**
   * A readable report of every step whose masked output differs between {@code reference} and
   * {@code candidate} (a line diff per step); empty when the transcripts are identical.
   */
  public static String differences(EtcdctlTranscript reference, EtcdctlTranscript candidate) {
    if (reference.entries.size() != candidate.entries.size()) {
      throw new IllegalArgumentException("transcripts of different scripts");
    }
    StringBuilder report = new StringBuilder();
    List<String> summary = new ArrayList<>();
    for (int i = 0; i < reference.entries.size(); i++) {
      Entry expected = reference.entries.get(i);
      Entry actual = candidate.entries.get(i);
      if (expected.lines().equals(actual.lines())) {
        continue;
      }
      EtcdctlScript.Step step = expected.step();
      summary.add("#" + step.number() + " (line " + step.line() + ") " + step.display());
      report.append("\n=== step #").append(step.number()).append(" (script line ").append(step.line())
          .append("): ").append(step.display()).append('\n')
          .append("--- ").append(reference.serverLabel).append(" (reference)\n")
          .append("+++ ").append(candidate.serverLabel).append('\n');
      for (String line : LineDiff.diff(expected.lines(), actual.lines())) {
        report.append(line).append('\n');
      }
    }
    if (summary.isEmpty()) {
      return "";
    }
    return summary.size() + " of " + reference.entries.size() + " etcdctl commands differ between "
        + reference.serverLabel + " and " + candidate.serverLabel + ":\n  " + String.join("\n  ", summary)
        + "\n" + report;
  }

  /** The whole masked transcript as text. */
  public String render() {
    StringBuilder sb = new StringBuilder("# etcdctl transcript against " + serverLabel + "\n");
    for (Entry entry : entries) {
      sb.append("\n#").append(entry.step().number()).append(' ');
      entry.lines().forEach(l -> sb.append(l).append('\n'));
    }
    return sb.toString();
  }

  /** Writes {@link #render()} to {@code file} (creating parent dirs) and returns the file. */
  public Path writeTo(Path file) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.writeString(file, render(), StandardCharsets.UTF_8);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> render(EtcdctlScript.Step step, Etcdctl.Result result, UnaryOperator<String> masker) {
    List<String> lines = new ArrayList<>();
    lines.add("$ " + step.display());
    step.stdinDisplay().forEach(l -> lines.add("stdin< " + l));
    lines.add("exit " + result.exitCode());
    addStream(lines, "out| ", masker.apply(result.stdout()));
    addStream(lines, "err| ", masker.apply(result.stderr()));
    return lines;
  }

  private static void addStream(List<String> lines, String prefix, String text) {
    if (text.isEmpty()) {
      return;
    }
    List<String> split = new ArrayList<>(Arrays.asList(text.split("\n", -1)));
    if (text.endsWith("\n")) {
      split.remove(split.size() - 1);
    } else {
      split.set(split.size() - 1, split.get(split.size() - 1) + "  (no newline at end)");
    }
    split.forEach(l -> lines.add(prefix + l));
  }

  private static List<String> outputPart(List<String> lines) {
    return lines.stream().filter(l -> l.startsWith("exit ") || l.startsWith("out| ") || l.startsWith("err| "))
        .toList();
  }

  private static String indent(List<String> lines) {
    StringBuilder sb = new StringBuilder();
    lines.forEach(l -> sb.append("    ").append(l).append('\n'));
    return sb.toString();
  }
}
