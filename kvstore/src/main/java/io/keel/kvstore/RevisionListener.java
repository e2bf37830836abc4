package io.keel.kvstore;

import io.keel.proto.mvccpb.Event;
import java.util.List;

/**
 * Notified on the writer thread after each committed revision, with that revision's events in sub-revision
 * order (each with prev_kv set when the key existed). Must not block: hand off to another thread.
 */
@FunctionalInterface
public interface RevisionListener {
  void onRevision(long revision, List<Event> events);
}
