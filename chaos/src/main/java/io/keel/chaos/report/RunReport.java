package io.keel.chaos.report;

import io.keel.chaos.checker.Verdict;
import io.keel.chaos.history.Op;
import io.keel.chaos.workload.WorkloadReport;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A whole run's report, as text and as a self-contained HTML page: the combined verdict, the run's facts, one
 * row per workload (verdict, operations, ops/s, anomalies, checker time), the faults injected, then each
 * workload's own section.
 */
public final class RunReport {
  private final String title;
  private final Verdict verdict;
  private final Map<String, String> facts;
  private final List<WorkloadReport> sections;
  private final List<Op> nemesisEvents;
  private final double seconds;

  public RunReport(String title, Verdict verdict, Map<String, String> facts, List<WorkloadReport> sections,
      List<Op> nemesisEvents, double seconds) {
    this.title = title;
    this.verdict = verdict;
    this.facts = new LinkedHashMap<>(facts);
    this.sections = List.copyOf(sections);
    this.nemesisEvents = List.copyOf(nemesisEvents);
    this.seconds = seconds;
  }

  /** One line per workload: verdict, operations (ok / unknown), ops/s, checked, anomalies, checker time. */
  public static String row(WorkloadReport w, double seconds) {
    return String.format("%-12s %-8s ops %d (ok %d, unknown %d), %.1f ops/s, checked %d, anomalies %d, checker %d ms",
        w.workload(), w.verdict(), w.operations(), w.ok(), w.unknown(), w.operations() / Math.max(1e-9, seconds),
        w.checked(), w.anomalies(), w.checkerMs());
  }

  public String text() {
    StringBuilder b = new StringBuilder();
    b.append(title).append('\n').append("verdict: ").append(verdict).append('\n');
    facts.forEach((k, v) -> b.append(k).append(": ").append(v).append('\n'));
    b.append(String.format("run seconds: %.1f%n", seconds));
    b.append("\nper workload:\n");
    for (WorkloadReport w : sections) {
      b.append("  ").append(row(w, seconds)).append('\n');
    }
    for (WorkloadReport w : sections) {
      b.append("\n== ").append(w.workload()).append(": ").append(w.verdict()).append(" ==\n");
      w.facts().forEach((k, v) -> b.append(k).append(": ").append(v).append('\n'));
      b.append(w.text());
    }
    return b.toString();
  }

  public String html() {
    StringBuilder b = new StringBuilder();
    b.append(Html.head(title)).append("<h2 class=\"").append(verdict).append("\">").append(verdict)
        .append("</h2>").append(Html.table(facts));
    b.append("<h3>Workloads</h3><table><tr><th>workload</th><th>verdict</th><th>operations</th><th>ok</th>"
        + "<th>unknown</th><th>ops/s</th><th>checked</th><th>anomalies</th><th>checker ms</th></tr>");
    for (WorkloadReport w : sections) {
      b.append("<tr><td>").append(Html.esc(w.workload())).append("</td><td class=\"").append(w.verdict())
          .append("\">").append(w.verdict()).append("</td><td>").append(w.operations()).append("</td><td>").append(w.ok())
          .append("</td><td>").append(w.unknown()).append("</td><td>")
          .append(String.format("%.1f", w.operations() / Math.max(1e-9, seconds))).append("</td><td>")
          .append(w.checked()).append("</td><td>").append(w.anomalies()).append("</td><td>").append(w.checkerMs())
          .append("</td></tr>");
    }
    b.append("</table><h3>Nemesis</h3><ul>");
    for (Op e : nemesisEvents) {
      b.append("<li>").append(String.format("%.3f s ", e.timeNanos() / 1e9)).append(Html.esc(e.describe()))
          .append("</li>");
    }
    b.append("</ul>");
    for (WorkloadReport w : sections) {
      b.append("<h2 class=\"").append(w.verdict()).append("\">").append(Html.esc(w.workload())).append(": ")
          .append(w.verdict()).append("</h2>").append(Html.table(w.facts())).append(w.html());
    }
    b.append("</body></html>\n");
    return b.toString();
  }

  /** Writes report.txt and report.html into {@code dir}. */
  public void write(Path dir) throws IOException {
    Html.write(dir, text(), html());
  }
}
