package io.keel.chaos.checker.txn;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keel.chaos.history.History;
import io.keel.chaos.history.Op;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A time-ordered list of {@link TxnOp} events, saved as JSON lines like {@link History}. {@link #txns()} pairs
 * invocations with completions under the same well-formedness rules (one txn in flight per process).
 */
public final class TxnHistory {
  private static final ObjectMapper JSON = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private final List<TxnOp> events;

  public TxnHistory(List<TxnOp> events) {
    if (events.size() > History.MAX_EVENTS) {
      throw new IllegalArgumentException("history has " + events.size() + " events; at most " + History.MAX_EVENTS);
    }
    this.events = List.copyOf(events);
  }

  public List<TxnOp> events() {
    return events;
  }

  /**
   * Pairs each invocation with its completion; an invocation never completed counts as info.
   *
   * @throws IllegalArgumentException on a process invoking twice in flight, completing nothing, or an ok
   *     completion whose micro-ops do not match the invocation's
   */
  public List<Txn> txns() {
    Map<Integer, Integer> open = new HashMap<>();
    Map<Integer, Integer> completionOf = new HashMap<>();
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < events.size(); i++) {
      TxnOp e = events.get(i);
      if (e.type() == Op.Type.INVOKE) {
        Integer prev = open.put(e.process(), i);
        if (prev != null) {
          throw new IllegalArgumentException("event " + i + ": process " + e.process()
              + " invokes while its txn at event " + prev + " is still in flight");
        }
        order.add(i);
      } else {
        Integer inv = open.remove(e.process());
        if (inv == null) {
          throw new IllegalArgumentException("event " + i + ": process " + e.process() + " completes nothing");
        }
        checkMatches(i, events.get(inv), e);
        completionOf.put(inv, i);
      }
    }
    List<Txn> out = new ArrayList<>(order.size());
    for (int inv : order) {
      TxnOp invoke = events.get(inv);
      Integer done = completionOf.get(inv);
      if (done == null || events.get(done).type() == Op.Type.INFO) {
        out.add(new Txn(out.size(), invoke.process(), inv, Txn.NEVER, Op.Type.INFO, invoke.txn()));
      } else {
        TxnOp c = events.get(done);
        out.add(new Txn(out.size(), invoke.process(), inv, done, c.type(), c.type() == Op.Type.OK ? c.txn()
            : invoke.txn()));
      }
    }
    return out;
  }

  private static void checkMatches(int i, TxnOp invoke, TxnOp done) {
    List<MicroOp> a = invoke.txn();
    List<MicroOp> b = done.txn();
    if (a.size() != b.size()) {
      throw new IllegalArgumentException("event " + i + ": completion has " + b.size() + " micro-ops, invocation "
          + a.size());
    }
    for (int j = 0; j < a.size(); j++) {
      MicroOp x = a.get(j);
      MicroOp y = b.get(j);
      if (!x.f().equals(y.f()) || !x.key().equals(y.key()) || !java.util.Objects.equals(x.value(), y.value())) {
        throw new IllegalArgumentException("event " + i + ": micro-op " + j + " " + y + " does not match " + x);
      }
      if (done.type() == Op.Type.OK && y.isRead() && y.read() == null) {
        throw new IllegalArgumentException("event " + i + ": ok txn's read " + y + " has no result");
      }
    }
  }

  /** Writes the history as JSON lines. */
  public void save(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (TxnOp e : events) {
        w.write(JSON.writeValueAsString(e));
        w.newLine();
      }
    }
  }

  /** Reads a JSON-lines history; a bad line is reported with its line number. */
  public static TxnHistory load(Path file) throws IOException {
    List<TxnOp> out = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int n = 0;
      while ((line = r.readLine()) != null) {
        n++;
        if (line.isBlank()) {
          continue;
        }
        if (out.size() >= History.MAX_EVENTS) {
          throw new IOException(file + ": more than " + History.MAX_EVENTS + " events");
        }
        try {
          out.add(JSON.readValue(line, TxnOp.class));
        } catch (IOException | RuntimeException e) {
          throw new IOException(file + ":" + n + ": not a txn event: " + e.getMessage(), e);
        }
      }
    }
    return new TxnHistory(out);
  }
}
