package io.keel.chaos.checker.watch;

import io.keel.chaos.checker.Findings;
import io.keel.chaos.history.Op;
import io.keel.chaos.history.Pairing;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Checks a watch workload's history: the writers' writes ({@link WatchWrite}, with the revision each
 * acknowledged write made) and every watcher's log ({@link WatchLogEntry}). Per watcher:
 * <ul>
 *   <li>ordered and unique: each response's events have revisions strictly above everything delivered before
 *       (events or progress), non-decreasing within the response, never below the revision the watch started at;
 *   <li>atomic: all events of one revision arrive in one response and equal, in txn order, the events the
 *       acknowledged write made at that revision;
 *   <li>reliable: every acknowledged write whose revision lies between the watcher's start and the revision it
 *       was last brought up to date to appears in its stream, unless a compaction cancel (compact_revision above
 *       the requested start) excused it; resumes continue exactly at last revision + 1 (or compact_revision);
 *   <li>caught up: at the end each watcher reached the store's final revision;
 *   <li>valid: every event was attempted by a writer (a put of that value to that key, a delete of that key)
 *       and did not certainly fail.
 * </ul>
 * Across watchers: all agree on the events at each revision.
 */
public final class WatchChecker {
  private WatchChecker() {
  }

  public static Findings check(List<WatchWrite> writes, List<WatchLogEntry> log, boolean logOverflowed) {
    Findings.Builder an = new Findings.Builder();
    TreeMap<Long, List<WatchEvent>> acked = new TreeMap<>();
    Map<String, Set<Long>> attemptedPuts = new HashMap<>();
    Set<String> attemptedDeletes = new HashSet<>();
    Set<Long> failedValues = new HashSet<>();
    Pairing.Pairs pairs = Pairing.pair(writes, WatchWrite::process, w -> w.type() == Op.Type.INVOKE, w -> false,
        (i, inv, done) -> {
          if (!inv.f().equals(done.f()) || inv.value() != done.value() || !inv.keys().equals(done.keys())) {
            throw new IllegalArgumentException("write " + i + " does not match its invocation");
          }
        });
    for (int j = 0; j < pairs.invocations().size(); j++) {
      WatchWrite inv = writes.get(pairs.invocations().get(j));
      int c = pairs.completions().get(j);
      WatchWrite done = c == Pairing.NONE ? null : writes.get(c);
      if (inv.f().equals("delete")) {
        attemptedDeletes.add(inv.keys().get(0));
      } else {
        for (String k : inv.keys()) {
          attemptedPuts.computeIfAbsent(k, x -> new HashSet<>()).add(inv.value());
        }
      }
      if (done != null && done.type() == Op.Type.FAIL && !inv.f().equals("delete")) {
        failedValues.add(inv.value());
      }
      if (done != null && done.type() == Op.Type.OK && done.revision() > 0) {
        List<WatchEvent> prev = acked.put(done.revision(), done.events(done.revision()));
        if (prev != null) {
          an.anomaly("two acknowledged writes claim revision " + done.revision() + ": " + prev + " and "
              + done.events(done.revision()));
        }
      }
    }
    Map<Integer, List<WatchLogEntry>> byWatcher = new TreeMap<>();
    for (WatchLogEntry e : log) {
      byWatcher.computeIfAbsent(e.watcher(), x -> new ArrayList<>()).add(e);
    }
    Map<Long, List<WatchEvent>> agreed = new HashMap<>();
    Map<Long, Integer> agreedBy = new HashMap<>();
    long events = 0;
    long resumes = 0;
    long compactCancels = 0;
    long progressMarks = 0;
    long covered = 0;
    for (Map.Entry<Integer, List<WatchLogEntry>> w : byWatcher.entrySet()) {
      WatcherState s = new WatcherState(w.getKey());
      for (WatchLogEntry e : w.getValue()) {
        switch (e.kind()) {
          case "start" -> {
            if (s.started) {
              resumes++;
              if (e.revision() != s.resumeAt()) {
                an.anomaly(s.name() + " resumed at revision " + e.revision() + ", expected " + s.resumeAt());
              }
            } else {
              s.started = true;
              s.coverFrom = e.revision();
              s.lastEvent = e.revision() - 1;
              s.delivered = e.revision() - 1;
            }
            s.from = e.revision();
            s.compactResume = 0;
          }
          case "events" -> {
            events += e.events().size();
            checkResponse(s, e.events(), acked, attemptedPuts, attemptedDeletes, failedValues, agreed, agreedBy,
                an);
          }
          case "progress" -> {
            progressMarks++;
            s.delivered = Math.max(s.delivered, e.revision());
          }
          case "canceled" -> {
            if (e.revision() > 0) {
              compactCancels++;
              if (e.revision() <= s.from) {
                an.anomaly(s.name() + " canceled as compacted at " + e.revision() + " though it asked from "
                    + s.from + " (nothing below it was compacted)");
              } else {
                s.excused.add(new long[] {Math.max(s.from, s.lastEvent + 1), e.revision() - 1});
                s.compactResume = e.revision();
              }
            }
          }
          case "end" -> {
            s.ended = true;
            s.target = e.revision();
          }
          default -> { }
        }
      }
      if (!s.started) {
        continue;
      }
      if (s.ended && s.delivered < s.target) {
        an.anomaly(s.name() + " stalled: brought up to date only to revision " + s.delivered + " of the final "
            + s.target);
      }
      if (s.delivered < s.coverFrom) {
        continue;
      }
      for (Map.Entry<Long, List<WatchEvent>> a : acked.subMap(s.coverFrom, true, s.delivered, true).entrySet()) {
        covered++;
        if (!s.seen.contains(a.getKey()) && !s.isExcused(a.getKey())) {
          an.anomaly(s.name() + " missed revision " + a.getKey() + " " + a.getValue()
              + " (acknowledged; watcher covered " + s.coverFrom + ".." + s.delivered + ")");
        }
      }
    }
    an.fact("watch events checked", events);
    an.fact("acknowledged revisions", acked.size());
    an.fact("acknowledged revisions x watchers covering them", covered);
    an.fact("watch resumes", resumes);
    an.fact("compaction cancels", compactCancels);
    an.fact("progress marks", progressMarks);
    return an.build(events, logOverflowed ? "the watch log overflowed" : null);
  }

  private static void checkResponse(WatcherState s, List<WatchEvent> evs, TreeMap<Long, List<WatchEvent>> acked,
      Map<String, Set<Long>> attemptedPuts, Set<String> attemptedDeletes, Set<Long> failedValues,
      Map<Long, List<WatchEvent>> agreed, Map<Long, Integer> agreedBy, Findings.Builder an) {
    long before = s.delivered;
    long prev = -1;
    Map<Long, List<WatchEvent>> groups = new LinkedHashMap<>();
    for (WatchEvent e : evs) {
      if (e.revision() <= before) {
        an.anomaly(s.name() + " got " + e + " after it was brought up to date to revision " + before
            + " (out of order, duplicate or split revision)");
      } else if (e.revision() < prev) {
        an.anomaly(s.name() + " got " + e + " after revision " + prev + " in one response (out of order)");
      } else if (e.revision() < s.from) {
        an.anomaly(s.name() + " got " + e + " below its start revision " + s.from);
      }
      prev = Math.max(prev, e.revision());
      groups.computeIfAbsent(e.revision(), r -> new ArrayList<>()).add(e);
      if (e.type().equals(WatchEvent.PUT)) {
        Set<Long> vals = attemptedPuts.get(e.key());
        if (vals == null || e.value() == null || !vals.contains(e.value())) {
          an.anomaly(s.name() + " got " + e + ", a put no writer attempted");
        } else if (failedValues.contains(e.value())) {
          an.anomaly(s.name() + " got " + e + ", a write that certainly failed");
        }
      } else if (!attemptedDeletes.contains(e.key())) {
        an.anomaly(s.name() + " got " + e + ", a delete no writer attempted");
      }
    }
    for (Map.Entry<Long, List<WatchEvent>> g : groups.entrySet()) {
      long rev = g.getKey();
      if (s.seen.contains(rev)) {
        continue; // already reported as out of order
      }
      s.seen.add(rev);
      List<WatchEvent> exp = acked.get(rev);
      if (exp != null && !exp.equals(g.getValue())) {
        an.anomaly(s.name() + " at revision " + rev + " got " + g.getValue() + " but the acknowledged write made "
            + exp);
      }
      List<WatchEvent> other = agreed.putIfAbsent(rev, g.getValue());
      if (other == null) {
        agreedBy.put(rev, s.id);
      } else if (!other.equals(g.getValue())) {
        an.anomaly("watchers disagree at revision " + rev + ": watcher " + agreedBy.get(rev) + " got " + other
            + ", " + s.name() + " got " + g.getValue());
      }
    }
    s.lastEvent = Math.max(s.lastEvent, prev);
    s.delivered = Math.max(s.delivered, prev);
  }

  /** One watcher's running state while its log is read. */
  private static final class WatcherState {
    final int id;
    boolean started;
    boolean ended;
    long target;
    long from;
    long coverFrom;
    long lastEvent;
    long delivered;
    long compactResume;
    final Set<Long> seen = new HashSet<>();
    final List<long[]> excused = new ArrayList<>();

    WatcherState(int id) {
      this.id = id;
    }

    String name() {
      return "watcher " + id;
    }

    long resumeAt() {
      return Math.max(lastEvent + 1, compactResume);
    }

    boolean isExcused(long rev) {
      for (long[] x : excused) {
        if (rev >= x[0] && rev <= x[1]) {
          return true;
        }
      }
      return false;
    }
  }
}
