package io.keel.chaos.history;

import java.util.ArrayList;
import java.util.List;

/**
 * Thread-safe, bounded recorder of a run's events. Clients call {@link #invoke} before sending a request and
 * {@link #complete} after its answer (or timeout), so the recorded order is consistent with real time.
 */
public final class Recorder {
  private final List<Op> events = new ArrayList<>();
  private final long startNanos;
  private final int maxEvents;
  private int inFlight;

  public Recorder(int maxEvents) {
    this(maxEvents, System.nanoTime());
  }

  /**
   * A recorder whose times count from {@code startNanos} (a {@link System#nanoTime()} value), so several
   * recorders of one run (each workload's, the nemesis's) share one time base.
   */
  public Recorder(int maxEvents, long startNanos) {
    this.startNanos = startNanos;
    if (maxEvents <= 0 || maxEvents > History.MAX_EVENTS) {
      throw new IllegalArgumentException("maxEvents must be in [1, " + History.MAX_EVENTS + "], got " + maxEvents);
    }
    this.maxEvents = maxEvents;
  }

  /** Records an invocation; false when the recorder is full (the caller must then not perform the op). */
  public synchronized boolean invoke(Op invocation) {
    if (invocation.type() != Op.Type.INVOKE) {
      throw new IllegalArgumentException("not an invocation: " + invocation);
    }
    if (events.size() + inFlight + 2 > maxEvents) {
      return false;
    }
    inFlight++;
    events.add(invocation.at(System.nanoTime() - startNanos));
    return true;
  }

  /** Records a completion (always accepted: room for it was kept when its invocation was recorded). */
  public synchronized void complete(Op completion) {
    if (completion.type() == Op.Type.INVOKE) {
      throw new IllegalArgumentException("not a completion: " + completion);
    }
    if (inFlight <= 0) {
      throw new IllegalStateException("a completion without a recorded invocation: " + completion);
    }
    inFlight--;
    events.add(completion.at(System.nanoTime() - startNanos));
  }

  /** Records a nemesis event (fault start or stop) with a detail, now. */
  public void nemesis(String f, String detail) {
    nemesisAt(f, detail, System.nanoTime());
  }

  /**
   * Records a nemesis event that took effect at {@code nanoTime} (System.nanoTime), e.g. a fault start stamped
   * with when its injection began: the fault may act from then on, though its description is known only later.
   */
  public synchronized void nemesisAt(String f, String detail, long nanoTime) {
    if (events.size() + inFlight < maxEvents) {
      events.add(new Op(Op.NEMESIS, Op.Type.INFO, f, null, null, null, null, nanoTime - startNanos, detail));
    }
  }

  public synchronized int size() {
    return events.size();
  }

  public synchronized History history() {
    return new History(new ArrayList<>(events));
  }
}
