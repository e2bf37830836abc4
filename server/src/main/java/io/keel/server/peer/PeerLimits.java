package io.keel.server.peer;

/**
 * Bounds of the peer transport. Every queue and batch is bounded; a message larger than
 * {@code maxMessageBytes} is a programming error of the sender (Raft bounds its own messages below it).
 * {@code congestedWaitMs} is how long the sender thread waits for an open stream that flow control holds (a
 * live peer slow to read) before it drops the batch; meanwhile new messages queue, and the queue's bound drops
 * them, as etcd's stream buffer does.
 */
public record PeerLimits(
    int queueCapacityMessages,
    int maxBatchMessages,
    int maxBatchBytes,
    int maxMessageBytes,
    long backoffInitialMs,
    long backoffMaxMs,
    long congestedWaitMs) {

  public static final PeerLimits DEFAULT = new PeerLimits(4096, 512, 4 << 20, 16 << 20, 50, 2000, 5000);

  public PeerLimits {
    if (queueCapacityMessages <= 0 || maxBatchMessages <= 0 || maxBatchBytes <= 0 || maxMessageBytes <= 0) {
      throw new IllegalArgumentException("peer limits must be positive: " + this);
    }
    if (maxMessageBytes < maxBatchBytes / maxBatchMessages) {
      throw new IllegalArgumentException("maxMessageBytes is below an average batch slot: " + this);
    }
    if (backoffInitialMs <= 0 || backoffMaxMs < backoffInitialMs) {
      throw new IllegalArgumentException("backoff must satisfy 0 < initial <= max: " + this);
    }
    if (congestedWaitMs <= 0) {
      throw new IllegalArgumentException("congestedWaitMs must be positive: " + this);
    }
  }

  /** gRPC's inbound limit for a peer stream: one batch, or one oversize single message, plus framing. */
  int maxInboundBytes() {
    return Math.max(maxBatchBytes, maxMessageBytes) + 64 * 1024;
  }
}
