package io.keel.chaos.checker;

import io.keel.chaos.history.History;
import io.keel.chaos.history.Op;
import io.keel.chaos.history.Operation;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Checks a set workload: clients add unique values, and a final read (after the faults heal) returns the set.
 * Every acknowledged add must be in the final read (else "lost"), every element read must have been added
 * (else "unexpected"), no element may appear twice ("duplicated"), and no element whose add certainly failed may
 * be present ("failed but present"). Adds with unknown outcome may or may not be present.
 */
public final class SetChecker {
  /** The outcome; VALID needs a final read and no lost, unexpected or duplicated element. */
  public record Result(Verdict verdict, int acknowledged, int unknown, Set<Long> lost, Set<Long> unexpected,
      Set<Long> duplicated, Set<Long> failedPresent, int unknownPresent, String reason) {
    /** Number of elements in violation (lost, unexpected, duplicated or failed but present). */
    public long anomalies() {
      return lost.size() + unexpected.size() + duplicated.size() + failedPresent.size();
    }
  }

  private SetChecker() {
  }

  public static Result check(History history) {
    Set<Long> attempted = new HashSet<>();
    Set<Long> acknowledged = new HashSet<>();
    Set<Long> failed = new HashSet<>();
    int unknown = 0;
    List<Long> finalRead = null;
    for (Operation o : history.operations()) {
      Op inv = o.invoke();
      switch (inv.f()) {
        case "add" -> {
          if (inv.value() == null) {
            throw new IllegalArgumentException("add without a value: " + o.describe());
          }
          if (!attempted.add(inv.value())) {
            throw new IllegalArgumentException("value " + inv.value() + " added twice: adds must be unique");
          }
          if (o.outcome() == Op.Type.OK) {
            acknowledged.add(inv.value());
          } else if (o.outcome() == Op.Type.INFO) {
            unknown++;
          } else {
            failed.add(inv.value());
          }
        }
        case "read" -> {
          if (o.outcome() == Op.Type.OK) {
            finalRead = o.completion().values() == null ? List.of() : o.completion().values();
          }
        }
        default -> { }
      }
    }
    if (finalRead == null) {
      return new Result(Verdict.UNKNOWN, acknowledged.size(), unknown, Set.of(), Set.of(), Set.of(), Set.of(), 0,
          "no successful final read");
    }
    Map<Long, Integer> counts = new HashMap<>();
    for (Long v : finalRead) {
      counts.merge(v, 1, Integer::sum);
    }
    Set<Long> lost = new TreeSet<>(acknowledged);
    lost.removeAll(counts.keySet());
    Set<Long> unexpected = new TreeSet<>(counts.keySet());
    unexpected.removeAll(attempted);
    Set<Long> duplicated = new TreeSet<>();
    counts.forEach((v, c) -> {
      if (c > 1) {
        duplicated.add(v);
      }
    });
    Set<Long> failedPresent = new TreeSet<>(failed);
    failedPresent.retainAll(counts.keySet());
    int unknownPresent = 0;
    for (Long v : counts.keySet()) {
      if (attempted.contains(v) && !acknowledged.contains(v) && !failed.contains(v)) {
        unknownPresent++;
      }
    }
    boolean ok = lost.isEmpty() && unexpected.isEmpty() && duplicated.isEmpty() && failedPresent.isEmpty();
    List<String> why = new ArrayList<>();
    if (!lost.isEmpty()) {
      why.add(lost.size() + " acknowledged adds lost " + sample(lost));
    }
    if (!unexpected.isEmpty()) {
      why.add(unexpected.size() + " elements never added " + sample(unexpected));
    }
    if (!duplicated.isEmpty()) {
      why.add(duplicated.size() + " elements duplicated " + sample(duplicated));
    }
    if (!failedPresent.isEmpty()) {
      why.add(failedPresent.size() + " elements whose add failed are present " + sample(failedPresent));
    }
    return new Result(ok ? Verdict.VALID : Verdict.INVALID, acknowledged.size(), unknown, lost, unexpected,
        duplicated, failedPresent, unknownPresent, ok ? "ok: final read has " + counts.size() + " elements"
        : String.join("; ", why));
  }

  private static String sample(Set<Long> s) {
    return s.stream().limit(10).toList() + (s.size() > 10 ? "..." : "");
  }
}
