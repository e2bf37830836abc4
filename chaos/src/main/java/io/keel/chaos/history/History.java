package io.keel.chaos.history;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
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
 * An immutable, time-ordered list of {@link Op} events, saved as JSON lines (one event per line). Also pairs
 * invocations with their completions ({@link #operations()}), checking the well-formedness rules the checkers
 * rely on: each process has at most one operation in flight, and completes what it invoked.
 */
public final class History {
  private static final ObjectMapper JSON = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  /** Bound on a history file's events, so a corrupt or huge file is refused rather than exhausting memory. */
  public static final int MAX_EVENTS = 10_000_000;

  private final List<Op> events;

  public History(List<Op> events) {
    if (events.size() > MAX_EVENTS) {
      throw new IllegalArgumentException("history has " + events.size() + " events; at most " + MAX_EVENTS);
    }
    this.events = List.copyOf(events);
  }

  public List<Op> events() {
    return events;
  }

  public int size() {
    return events.size();
  }

  /**
   * Pairs each client invocation with its completion. An invocation without a completion (the run ended
   * first) is treated as {@code info}. Nemesis events are skipped.
   *
   * @throws IllegalArgumentException if a process invokes twice without completing, or completes nothing
   */
  public List<Operation> operations() {
    Map<Integer, Integer> open = new HashMap<>();
    Operation[] byInvoke = new Operation[events.size()];
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < events.size(); i++) {
      Op e = events.get(i);
      if (e.isNemesis()) {
        continue;
      }
      if (e.type() == Op.Type.INVOKE) {
        Integer prev = open.put(e.process(), i);
        if (prev != null) {
          throw new IllegalArgumentException("event " + i + ": process " + e.process()
              + " invokes while its operation at event " + prev + " is still in flight");
        }
        order.add(i);
      } else {
        Integer inv = open.remove(e.process());
        if (inv == null) {
          throw new IllegalArgumentException("event " + i + ": process " + e.process() + " completes '" + e.f()
              + "' but invoked nothing");
        }
        Op invoke = events.get(inv);
        if (!invoke.f().equals(e.f()) || !java.util.Objects.equals(invoke.key(), e.key())) {
          throw new IllegalArgumentException("event " + i + ": completion " + e.describe()
              + " does not match invocation " + invoke.describe());
        }
        byInvoke[inv] = new Operation(inv, i, invoke, e);
      }
    }
    List<Operation> out = new ArrayList<>(order.size());
    for (int inv : order) {
      Operation o = byInvoke[inv];
      if (o == null) {
        Op invoke = events.get(inv);
        o = new Operation(inv, Operation.NEVER, invoke, invoke.complete(Op.Type.INFO, null, null, "no completion"));
      }
      out.add(o);
    }
    return out;
  }

  /** Writes the history as JSON lines. */
  public void save(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (Op e : events) {
        w.write(JSON.writeValueAsString(e));
        w.newLine();
      }
    }
  }

  /** Reads a JSON-lines history; a bad line is reported with its line number. */
  public static History load(Path file) throws IOException {
    List<Op> out = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int n = 0;
      while ((line = r.readLine()) != null) {
        n++;
        if (line.isBlank()) {
          continue;
        }
        if (out.size() >= MAX_EVENTS) {
          throw new IOException(file + ": more than " + MAX_EVENTS + " events");
        }
        try {
          out.add(JSON.readValue(line, Op.class));
        } catch (IOException | RuntimeException e) {
          throw new IOException(file + ":" + n + ": not a history event: " + e.getMessage(), e);
        }
      }
    }
    return new History(out);
  }
}
