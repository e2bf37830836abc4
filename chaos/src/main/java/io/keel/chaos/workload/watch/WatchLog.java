package io.keel.chaos.workload.watch;

import io.keel.chaos.checker.watch.WatchEvent;
import io.keel.chaos.checker.watch.WatchLogEntry;
import java.util.ArrayList;
import java.util.List;

/**
 * Thread-safe, bounded log of every watcher's entries, time-stamped on the run's time base. When full, further
 * entries are dropped and {@link #overflowed()} is set (the checker then answers UNKNOWN rather than guess).
 */
public final class WatchLog {
  private final List<WatchLogEntry> entries = new ArrayList<>();
  private final int maxEntries;
  private final long startNanos;
  private boolean overflowed;

  public WatchLog(int maxEntries, long startNanos) {
    if (maxEntries < 1) {
      throw new IllegalArgumentException("maxEntries must be positive");
    }
    this.maxEntries = maxEntries;
    this.startNanos = startNanos;
  }

  public synchronized void add(int watcher, String kind, long revision, List<WatchEvent> events, String detail) {
    if (entries.size() >= maxEntries) {
      overflowed = true;
      return;
    }
    entries.add(new WatchLogEntry(watcher, kind, System.nanoTime() - startNanos, revision, events, detail));
  }

  public synchronized List<WatchLogEntry> entries() {
    return List.copyOf(entries);
  }

  public synchronized boolean overflowed() {
    return overflowed;
  }
}
