package io.keel.wal;

/** The writer's bounded queue is full: the caller must back off (the WAL never blocks unboundedly). */
public final class WalQueueFullException extends WalException {
  private static final long serialVersionUID = 1L;

  public WalQueueFullException(int capacity) {
    super("WAL write queue full (capacity " + capacity + " requests); retry later or slow down");
  }
}
