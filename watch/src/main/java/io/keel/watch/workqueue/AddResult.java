package io.keel.watch.workqueue;

/** What {@link WorkQueue#add} and {@link WorkQueue#addAfter} did with a key. */
public enum AddResult {
  /** The key is now queued and will be handed to a worker. */
  QUEUED,
  /** The key was already queued (not yet handed out); the adds were merged. */
  ALREADY_QUEUED,
  /** The key is being processed; it is queued again when that worker calls {@code done}. */
  QUEUED_AFTER_DONE,
  /** The key is waiting for its delay to pass (or an earlier delay for it already was). */
  DELAYED,
  /** Rejected: the queue holds {@code maxItems} keys already. The caller must retry or drop it. */
  REJECTED_FULL,
  /** Rejected: the queue is shut down. */
  SHUT_DOWN;

  /** True when the key will eventually be handed to a worker (unless the queue shuts down first). */
  public boolean accepted() {
    return this != REJECTED_FULL && this != SHUT_DOWN;
  }
}
