package io.keel.watch;

import io.keel.proto.mvccpb.Event;
import java.util.ArrayList;

/**
 * One watch: owned by the hub's dispatcher thread (no field is read elsewhere). Kept small because a member
 * holds up to ~100k of them: the range object is shared with the index group, the flags are packed bits.
 */
final class Watcher {
  static final int PREV_KV = 1;
  static final int NO_PUT = 2;
  static final int NO_DELETE = 4;
  static final int PROGRESS_NOTIFY = 8;
  static final int FRAGMENT = 16;
  static final int SYNCED = 32;
  /** Progress-notify bookkeeping as etcd: set at each tick, cleared when events are sent. */
  static final int QUIET = 64;

  final long id;
  final Session session;
  WatcherIndex.Group group;
  /** The next revision this watcher must see; every event below it has been delivered (or was filtered). */
  long nextRev;
  int flags;
  /** Position in {@link #group}'s member array (O(1) removal). */
  int slot = -1;
  /** Events of the revision being fanned out (dispatcher scratch, null between revisions). */
  ArrayList<Event> scratch;

  Watcher(long id, Session session, long nextRev, int flags) {
    this.id = id;
    this.session = session;
    this.nextRev = nextRev;
    this.flags = flags;
  }

  boolean has(int flag) {
    return (flags & flag) != 0;
  }

  void set(int flag, boolean on) {
    flags = on ? flags | flag : flags & ~flag;
  }

  WatchRange range() {
    return group.range;
  }

  boolean wants(Event ev) {
    return switch (ev.getType()) {
      case PUT -> !has(NO_PUT);
      case DELETE -> !has(NO_DELETE);
      default -> true;
    };
  }
}
