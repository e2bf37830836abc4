package io.keel.chaos.checker;

import io.keel.chaos.history.Op;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * When faults were active, from a run's nemesis events: a {@code start-<name>} (stamped when the injection
 * began) opens a window, and so does an {@code error-<name>} (a failed injection or heal may have acted in
 * part); the next {@code stop-<name>} (recorded once the heal completed, e.g. the restarted members are up)
 * closes it; a window never closed lasts to the end of the history. Checkers use it where a guarantee is conditional on the cluster
 * having a leader, e.g. lease expiry: etcd expires leases only on a leader, and a new leader renews every lease's
 * full TTL.
 */
public final class FaultWindows {
  /** One fault, in the history's nanoseconds; {@code endNanos} is {@link Long#MAX_VALUE} if never healed. */
  public record Window(String nemesis, long startNanos, long endNanos) {
  }

  private final List<Window> windows;

  private FaultWindows(List<Window> windows) {
    this.windows = List.copyOf(windows);
  }

  /** No faults. */
  public static FaultWindows none() {
    return new FaultWindows(List.of());
  }

  /** The windows of these nemesis events (other events are ignored). */
  public static FaultWindows of(List<Op> events) {
    List<Window> out = new ArrayList<>();
    Map<String, Long> open = new HashMap<>();
    for (Op e : events) {
      if (!e.isNemesis()) {
        continue;
      }
      if (e.f().startsWith("start-") || e.f().startsWith("error-")) {
        open.putIfAbsent(e.f().substring(e.f().indexOf('-') + 1), e.timeNanos());
      } else if (e.f().startsWith("stop-")) {
        String name = e.f().substring("stop-".length());
        Long start = open.remove(name);
        if (start != null) {
          out.add(new Window(name, start, e.timeNanos()));
        }
      }
    }
    open.forEach((name, start) -> out.add(new Window(name, start, Long.MAX_VALUE)));
    out.sort(Comparator.comparingLong(Window::startNanos));
    return new FaultWindows(out);
  }

  public List<Window> windows() {
    return windows;
  }

  /**
   * The latest time a lease refreshed at {@code refreshNanos} with {@code ttlNanos} may legitimately live to:
   * {@code refresh + ttl}, moved to {@code end + ttl} by every fault active before that deadline (the cluster may
   * have had no leader until the heal, and the next leader renews the full TTL), repeatedly (windows in start
   * order, so one pass suffices).
   */
  public long leaseDeadline(long refreshNanos, long ttlNanos) {
    long deadline = refreshNanos + ttlNanos;
    for (Window w : windows) {
      if (w.startNanos() > deadline) {
        break;
      }
      if (w.endNanos() > refreshNanos) {
        deadline = w.endNanos() == Long.MAX_VALUE ? Long.MAX_VALUE : Math.max(deadline, w.endNanos() + ttlNanos);
      }
    }
    return deadline;
  }
}
