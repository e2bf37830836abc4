package io.keel.wal;

import java.util.List;

/**
 * The writer thread's view of the log's shape (snapshot, last index, hard state), used to refuse a write that
 * would break the log's invariants BEFORE it reaches disk. Owned by the single writer thread.
 */
final class IndexState {
  private SnapshotMarker snapshot;
  private long lastIndex;
  private HardState hardState;

  IndexState(SnapshotMarker snapshot, long lastIndex, HardState hardState) {
    this.snapshot = snapshot;
    this.lastIndex = lastIndex;
    this.hardState = hardState;
  }

  SnapshotMarker snapshot() {
    return snapshot;
  }

  long lastIndex() {
    return lastIndex;
  }

  HardState hardState() {
    return hardState;
  }

  /** Null when entries are ascending by one with non-decreasing terms, else the reason. */
  static String checkBatchShape(List<WalEntry> es) {
    for (int k = 1; k < es.size(); k++) {
      WalEntry a = es.get(k - 1);
      WalEntry b = es.get(k);
      if (b.index() != a.index() + 1) {
        return "entries not contiguous: " + a.index() + " then " + b.index();
      }
      if (b.term() < a.term()) {
        return "entry terms decrease: " + a + " then " + b;
      }
    }
    return null;
  }

  /** Null when {@code next} may follow {@code prev} (term and commit never go back; one vote per term). */
  static String checkHardState(HardState prev, HardState next) {
    if (next.term() < prev.term()) {
      return "hard state term goes back from " + prev.term() + " to " + next.term();
    }
    if (next.commit() < prev.commit()) {
      return "hard state commit goes back from " + prev.commit() + " to " + next.commit();
    }
    if (next.term() == prev.term() && prev.vote() != 0 && next.vote() != prev.vote()) {
      return "vote changed within term " + next.term() + ": " + prev.vote() + " -> " + next.vote();
    }
    return null;
  }

  String checkAppend(List<WalEntry> es, HardState hs) {
    if (!es.isEmpty()) {
      String bad = checkBatchShape(es);
      if (bad != null) {
        return bad;
      }
      long i = es.get(0).index();
      if (i <= snapshot.index()) {
        return "entry index " + i + " is at or below the snapshot index " + snapshot.index();
      }
      if (i > lastIndex + 1) {
        return "entry index " + i + " leaves a gap after last index " + lastIndex;
      }
      if (i <= hardState.commit()) {
        return "entry index " + i + " would overwrite committed entries (commit " + hardState.commit() + ")";
      }
    }
    return hs == null ? null : checkHardState(hardState, hs);
  }

  void applyAppend(List<WalEntry> es, HardState hs) {
    if (!es.isEmpty()) {
      lastIndex = es.get(es.size() - 1).index();
    }
    if (hs != null) {
      hardState = hs;
    }
  }

  String checkSnapshot(SnapshotMarker m) {
    if (m.index() < snapshot.index()) {
      return "snapshot index " + m.index() + " below the current snapshot index " + snapshot.index();
    }
    return null;
  }

  void applySnapshot(SnapshotMarker m) {
    snapshot = m;
    lastIndex = Math.max(lastIndex, m.index());
  }
}
