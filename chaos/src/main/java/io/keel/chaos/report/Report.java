package io.keel.chaos.report;

import io.keel.chaos.checker.CheckResult;
import io.keel.chaos.checker.KeyResult;
import io.keel.chaos.checker.Verdict;
import io.keel.chaos.history.History;
import io.keel.chaos.history.Op;
import io.keel.chaos.history.Operation;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A run's report, as text and as a self-contained HTML page: the verdict, counts, the faults injected, and
 * for each non-linearizable key the smallest failing window of its history (a timeline and a table).
 */
public final class Report {
  private final String title;
  private final History history;
  private final CheckResult result;
  private final Map<String, String> facts;

  /** @param facts extra lines for the summary (e.g. "ops/s"), in order */
  public Report(String title, History history, CheckResult result, Map<String, String> facts) {
    this.title = title;
    this.history = history;
    this.result = result;
    this.facts = new LinkedHashMap<>(facts);
  }

  public String text() {
    StringBuilder b = new StringBuilder();
    b.append(title).append('\n');
    b.append("verdict: ").append(result.verdict()).append('\n');
    for (Map.Entry<String, String> e : summary().entrySet()) {
      b.append(e.getKey()).append(": ").append(e.getValue()).append('\n');
    }
    for (KeyResult k : result.keys()) {
      if (k.verdict() == Verdict.VALID) {
        continue;
      }
      b.append('\n').append("key ").append(k.key()).append(": ").append(k.verdict()).append(" (")
          .append(k.operations()).append(" operations, ").append(k.steps()).append(" search steps)\n");
      if (k.verdict() == Verdict.INVALID) {
        b.append("  smallest failing window: history positions ").append(k.windowStart()).append("..")
            .append(k.windowEnd()).append(", ").append(k.window().size()).append(" operations\n");
        for (Operation o : k.window()) {
          b.append("    ").append(o.describe()).append('\n');
        }
      }
    }
    return b.toString();
  }

  private Map<String, String> summary() {
    Map<String, String> s = new LinkedHashMap<>(facts);
    s.put("history events", Integer.toString(history.size()));
    s.put("operations checked", Integer.toString(result.operationsChecked()));
    s.put("keys", Integer.toString(result.keys().size()));
    s.put("anomalies (non-linearizable keys)", Integer.toString(result.anomalies()));
    s.put("unknown keys (budget exhausted)",
        Long.toString(result.keys().stream().filter(k -> k.verdict() == Verdict.UNKNOWN).count()));
    s.put("checker time ms", Long.toString(result.elapsedMs()));
    long faults = history.events().stream().filter(Op::isNemesis).filter(e -> e.f().startsWith("start")).count();
    s.put("faults injected", Long.toString(faults));
    return s;
  }

  public String html() {
    StringBuilder b = new StringBuilder();
    b.append(Html.head(title)).append("<h2 class=\"").append(result.verdict()).append("\">")
        .append(result.verdict()).append("</h2><table>");
    for (Map.Entry<String, String> e : summary().entrySet()) {
      b.append("<tr><th>").append(Html.esc(e.getKey())).append("</th><td>").append(Html.esc(e.getValue()))
          .append("</td></tr>");
    }
    b.append("</table><h3>Nemesis</h3><ul>");
    for (Op e : history.events()) {
      if (e.isNemesis()) {
        b.append("<li>").append(String.format("%.3f s ", e.timeNanos() / 1e9)).append(Html.esc(e.describe()))
            .append("</li>");
      }
    }
    b.append("</ul>");
    for (KeyResult k : result.invalidKeys()) {
      b.append("<h3 class=\"INVALID\">key ").append(Html.esc(k.key())).append(": smallest failing window (positions ")
          .append(k.windowStart()).append("..").append(k.windowEnd()).append(")</h3>");
      b.append(timeline(k.window()));
      b.append("<table><tr><th>process</th><th>op</th><th>invoked</th><th>completed</th></tr>");
      for (Operation o : k.window()) {
        b.append("<tr><td>p").append(o.invoke().process()).append("</td><td>").append(Html.esc(o.describe()))
            .append("</td><td>").append(o.invokeIndex()).append("</td><td>")
            .append(o.completeIndex() == Operation.NEVER ? "never" : Integer.toString(o.completeIndex()))
            .append("</td></tr>");
      }
      b.append("</table>");
    }
    b.append("</body></html>\n");
    return b.toString();
  }

  /** An SVG timeline: one lane per process, one bar per operation from invocation to completion. */
  private static String timeline(List<Operation> ops) {
    if (ops.isEmpty()) {
      return "";
    }
    int min = ops.stream().mapToInt(Operation::invokeIndex).min().orElse(0);
    int max = ops.stream().mapToInt(o -> o.completeIndex() == Operation.NEVER ? o.invokeIndex() + 1
        : o.completeIndex()).max().orElse(min + 1);
    List<Integer> procs = ops.stream().map(o -> o.invoke().process()).distinct().sorted().toList();
    double scale = 900.0 / Math.max(1, max - min + 1);
    StringBuilder b = new StringBuilder();
    b.append("<svg width=\"1000\" height=\"").append(procs.size() * 28 + 10).append("\">");
    for (Operation o : ops) {
      int lane = procs.indexOf(o.invoke().process());
      int end = o.completeIndex() == Operation.NEVER ? max : o.completeIndex();
      double x = 80 + (o.invokeIndex() - min) * scale;
      double w = Math.max(4, (end - o.invokeIndex()) * scale);
      String colour = switch (o.outcome()) {
        case OK -> "#9cf";
        case INFO -> "#fc6";
        default -> "#ccc";
      };
      b.append(String.format("<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"22\" fill=\"%s\"><title>%s</title>"
          + "</rect><text x=\"%.1f\" y=\"%d\" font-size=\"11\">%s</text>", x, lane * 28 + 4, w, colour,
          Html.esc(o.describe()), x + 2, lane * 28 + 19, Html.esc(shortForm(o))));
    }
    for (int i = 0; i < procs.size(); i++) {
      b.append("<text x=\"2\" y=\"").append(i * 28 + 19).append("\" font-size=\"12\">p").append(procs.get(i))
          .append("</text>");
    }
    return b.append("</svg>").toString();
  }

  private static String shortForm(Operation o) {
    String d = o.describe();
    int cut = d.indexOf("  [");
    return cut > 0 ? d.substring(d.indexOf(' ') + 1, cut) : d;
  }

  /** Writes report.txt and report.html into {@code dir}. */
  public void write(Path dir) throws IOException {
    Html.write(dir, text(), html());
  }
}
