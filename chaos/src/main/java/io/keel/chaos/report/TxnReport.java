package io.keel.chaos.report;

import io.keel.chaos.checker.txn.Anomaly;
import io.keel.chaos.checker.txn.TxnCheckResult;
import io.keel.chaos.history.Op;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A list-append run's report, as text and as a self-contained HTML page: the strict-serializability verdict,
 * counts, the faults injected, and every anomaly found with the transactions involved
 * ({@link Anomaly#describe()}).
 */
public final class TxnReport {
  private final String title;
  private final TxnCheckResult result;
  private final Map<String, String> facts;
  private final List<Op> nemesisEvents;

  /**
   * @param facts extra summary lines (e.g. "ops/s"), in order
   * @param nemesisEvents the nemesis's start/stop events, for the fault list and the count
   */
  public TxnReport(String title, TxnCheckResult result, Map<String, String> facts, List<Op> nemesisEvents) {
    this.title = title;
    this.result = result;
    this.facts = new LinkedHashMap<>(facts);
    this.nemesisEvents = List.copyOf(nemesisEvents);
  }

  /** The summary lines, in order. */
  public Map<String, String> summary() {
    Map<String, String> s = new LinkedHashMap<>(facts);
    s.put("txns checked", Integer.toString(result.txnsChecked()));
    s.put("anomalies", Integer.toString(result.anomalies().size()));
    s.put("anomaly types", result.types().isEmpty() ? "none" : String.join(", ", result.types()));
    if (result.unknownReason() != null) {
      s.put("unknown because", result.unknownReason());
    }
    s.put("checker time ms", Long.toString(result.elapsedMs()));
    s.put("faults injected", Long.toString(nemesisEvents.stream().filter(e -> e.f().startsWith("start")).count()));
    return s;
  }

  public String text() {
    StringBuilder b = new StringBuilder();
    b.append(title).append('\n');
    b.append("verdict: ").append(result.verdict()).append('\n');
    summary().forEach((k, v) -> b.append(k).append(": ").append(v).append('\n'));
    for (Anomaly a : result.anomalies()) {
      b.append('\n').append(a.describe()).append('\n');
    }
    return b.toString();
  }

  public String html() {
    StringBuilder b = new StringBuilder();
    b.append(Html.head(title)).append("<h2 class=\"").append(result.verdict()).append("\">")
        .append(result.verdict()).append("</h2><table>");
    summary().forEach((k, v) -> b.append("<tr><th>").append(Html.esc(k)).append("</th><td>").append(Html.esc(v))
        .append("</td></tr>"));
    b.append("</table><h3>Nemesis</h3><ul>");
    for (Op e : nemesisEvents) {
      b.append("<li>").append(String.format("%.3f s ", e.timeNanos() / 1e9)).append(Html.esc(e.describe()))
          .append("</li>");
    }
    b.append("</ul>");
    for (Anomaly a : result.anomalies()) {
      b.append("<h3 class=\"INVALID\">").append(Html.esc(a.type())).append("</h3><pre>").append(Html.esc(a.describe()))
          .append("</pre>");
    }
    b.append("</body></html>\n");
    return b.toString();
  }

  /** Writes report.txt and report.html into {@code dir}. */
  public void write(Path dir) throws IOException {
    Html.write(dir, text(), html());
  }
}
