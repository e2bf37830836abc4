package io.keel.watch;

import com.google.protobuf.ByteString;
import io.keel.proto.mvccpb.Event;
import java.util.ArrayList;

/**
 * One watch: owned by the hub's dispatcher thread (no field is read elsewhere). Kept small because a member
 * holds 100k or more of them (48 bytes with compressed oops): a single-key watch holds just its key's
 * {@link ByteString} (shared with every other watcher of that key and with the index), any other range one
 * {@link WatchRange} shared the same way; the flags are packed bits; a watcher alone on its key sits in the
 * index itself, with no group object.
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
  /**
   * What it watches: a {@link ByteString} for a single key, otherwise a {@link WatchRange}. The index replaces it
   * with the equal object it already holds so watchers of one range share it.
   */
  Object range;
  /** The next revision this watcher must see; every event below it has been delivered (or was filtered). */
  long nextRev;
  int flags;
  /** Position in its index group's member array (O(1) removal); -1 when stored inline in the index. */
  int slot = -1;
  /** Events of the revision being fanned out (dispatcher scratch, null between revisions). */
  ArrayList<Event> scratch;

  Watcher(long id, Session session, long nextRev, int flags, WatchRange range) {
    this.id = id;
    this.range = range.kind() == WatchRange.Kind.SINGLE ? range.key() : range;
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

  /** The watched key (single key), or the range's start key (the prefix for a prefix watch). */
  ByteString key() {
    return range instanceof ByteString k ? k : ((WatchRange) range).key();
  }

  WatchRange.Kind kind() {
    return range instanceof ByteString ? WatchRange.Kind.SINGLE : ((WatchRange) range).kind();
  }

  boolean wants(Event ev) {
    return switch (ev.getType()) {
      case PUT -> !has(NO_PUT);
      case DELETE -> !has(NO_DELETE);
      default -> true;
    };
  }
}
