package io.keel.chaos.history;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An immutable, time-ordered list of {@link Op} events, saved as JSON lines (one event per line). Also pairs
 * invocations with their completions ({@link #operations()}), checking the well-formedness rules the checkers
 * rely on: each process has at most one operation in flight, and completes what it invoked.
 */
public final class History {
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
    Pairing.Pairs p = Pairing.pair(events, Op::process, e -> e.type() == Op.Type.INVOKE, Op::isNemesis,
        (i, invoke, e) -> {
          if (!invoke.f().equals(e.f()) || !java.util.Objects.equals(invoke.key(), e.key())) {
            throw new IllegalArgumentException("event " + i + ": completion " + e.describe()
                + " does not match invocation " + invoke.describe());
          }
        });
    List<Operation> out = new ArrayList<>(p.invocations().size());
    for (int j = 0; j < p.invocations().size(); j++) {
      int inv = p.invocations().get(j);
      int done = p.completions().get(j);
      Op invoke = events.get(inv);
      out.add(done == Pairing.NONE
          ? new Operation(inv, Operation.NEVER, invoke, invoke.complete(Op.Type.INFO, null, null, "no completion"))
          : new Operation(inv, done, invoke, events.get(done)));
    }
    return out;
  }

  /** Writes the history as JSON lines. */
  public void save(Path file) throws IOException {
    JsonLines.save(file, events);
  }

  /** Reads a JSON-lines history; a bad line is reported with its line number. */
  public static History load(Path file) throws IOException {
    return new History(JsonLines.load(file, Op.class, "history event"));
  }
}
