package io.keel.watch;

/**
 * Bounds and timings of the watch hub. Every queue is bounded: {@code eventQueueRevisions} revisions between
 * the store's writer and the dispatcher (overflow sends watchers to catch-up, never blocks the writer),
 * {@code maxPendingResponses}/{@code maxPendingBytes} per stream, {@code catchUpBatchEvents} events per
 * catch-up read, {@code commandQueueSize} client requests waiting for the dispatcher.
 *
 * @param progressIntervalMs period of progress notifications (etcd: 10 minutes); system property
 *     {@code keel.watch.progressIntervalMs} overrides the default
 * @param maxRequestBytes the member's request size limit; responses of fragment-enabled watchers are split at it
 */
public record WatchConfig(int eventQueueRevisions, int commandQueueSize, int maxPendingResponses,
    long maxPendingBytes, int catchUpBatchEvents, long catchUpIntervalMs, long progressIntervalMs,
    int maxRequestBytes) {

  public static final long DEFAULT_PROGRESS_INTERVAL_MS = 10 * 60 * 1000L;

  public WatchConfig {
    if (eventQueueRevisions < 1 || commandQueueSize < 1 || maxPendingResponses < 2 || maxPendingBytes < 1
        || catchUpBatchEvents < 1 || catchUpIntervalMs < 1 || progressIntervalMs < 1 || maxRequestBytes < 1) {
      throw new IllegalArgumentException("watch bounds must be positive: " + this);
    }
  }

  /** Production defaults for a member whose request limit is {@code maxRequestBytes}. */
  public static WatchConfig defaults(int maxRequestBytes) {
    long progress = Long.getLong("keel.watch.progressIntervalMs", DEFAULT_PROGRESS_INTERVAL_MS);
    return new WatchConfig(16_384, 4096, 1024, 16L << 20, 1000, 10, progress, maxRequestBytes);
  }

  public WatchConfig withProgressIntervalMs(long ms) {
    return new WatchConfig(eventQueueRevisions, commandQueueSize, maxPendingResponses, maxPendingBytes,
        catchUpBatchEvents, catchUpIntervalMs, ms, maxRequestBytes);
  }

  public WatchConfig withStreamBounds(int responses, long bytes) {
    return new WatchConfig(eventQueueRevisions, commandQueueSize, responses, bytes, catchUpBatchEvents,
        catchUpIntervalMs, progressIntervalMs, maxRequestBytes);
  }

  public WatchConfig withEventQueueRevisions(int revisions) {
    return new WatchConfig(revisions, commandQueueSize, maxPendingResponses, maxPendingBytes, catchUpBatchEvents,
        catchUpIntervalMs, progressIntervalMs, maxRequestBytes);
  }

  public WatchConfig withCatchUpBatchEvents(int events) {
    return new WatchConfig(eventQueueRevisions, commandQueueSize, maxPendingResponses, maxPendingBytes, events,
        catchUpIntervalMs, progressIntervalMs, maxRequestBytes);
  }
}
