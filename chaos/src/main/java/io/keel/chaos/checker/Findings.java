package io.keel.chaos.checker;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A rule-based checker's verdict (watch, lease): INVALID with the anomalies found (one line each, naming what,
 * where and why), UNKNOWN when its input was incomplete, else VALID.
 *
 * @param anomalies the first anomalies found (at most {@link #MAX_REPORTED}), one line each
 * @param anomalyCount all anomalies found
 * @param checked what the checker examined (events, reads), for the report
 * @param facts counts for the report
 * @param unknownReason why the verdict is UNKNOWN, else null
 */
public record Findings(Verdict verdict, List<String> anomalies, long anomalyCount, long checked, long elapsedMs,
    Map<String, String> facts, String unknownReason) {
  /** Anomalies listed (all are counted). */
  public static final int MAX_REPORTED = 100;

  public Findings {
    anomalies = List.copyOf(anomalies);
    facts = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(facts));
  }

  public String describe() {
    StringBuilder b = new StringBuilder();
    b.append(verdict).append(": ").append(anomalyCount).append(" anomalies, ").append(checked).append(" checked\n");
    if (unknownReason != null) {
      b.append("unknown because: ").append(unknownReason).append('\n');
    }
    for (String a : anomalies) {
      b.append("  ").append(a).append('\n');
    }
    if (anomalyCount > anomalies.size()) {
      b.append("  ... and ").append(anomalyCount - anomalies.size()).append(" more\n");
    }
    return b.toString();
  }

  /** Collects anomalies and facts while a checker runs. */
  public static final class Builder {
    private final long startNanos = System.nanoTime();
    private final List<String> list = new ArrayList<>();
    private final Map<String, String> facts = new LinkedHashMap<>();
    private long count;

    public void anomaly(String a) {
      count++;
      if (list.size() < MAX_REPORTED) {
        list.add(a);
      }
    }

    public void fact(String k, Object v) {
      facts.put(k, String.valueOf(v));
    }

    public long count() {
      return count;
    }

    /** The result; UNKNOWN (with {@code unknownReason}) only when no anomaly was found. */
    public Findings build(long checked, String unknownReason) {
      Verdict v = count > 0 ? Verdict.INVALID : unknownReason != null ? Verdict.UNKNOWN : Verdict.VALID;
      return new Findings(v, list, count, checked, (System.nanoTime() - startNanos) / 1_000_000, facts,
          count > 0 ? null : unknownReason);
    }
  }
}
