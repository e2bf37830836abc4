package io.keel.kvstore;

import io.keel.proto.mvccpb.Event;
import java.util.List;

/**
 * Notified on the writer thread after each committed revision, with that revision's events in sub-revision
 * order. Events carry no prev_kv (the write path does not read previous values): a watcher that wants it reads
 * it with {@link MvccStore#withPrevKv}, as etcd's watch server does. Must not block: hand off to another thread.
 */
@FunctionalInterface
public interface RevisionListener {
  void onRevision(long revision, List<Event> events);

  /**
   * The store's whole content was replaced (a Raft snapshot from the leader was installed): the current
   * revision is now {@code revision} and the compacted revision {@code compactRevision}, and no per-revision
   * events were delivered for the gap. Listeners that track revisions (watchers) must re-sync from the store.
   * Called on the writer thread; must not block.
   */
  default void onRestored(long revision, long compactRevision) {}
}
