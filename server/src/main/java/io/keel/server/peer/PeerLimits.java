package io.keel.server.peer;

/**
 * Bounds of the peer transport. Every queue and batch is bounded; a message larger than
 * {@code maxMessageBytes} is a programming error of the sender (Raft bounds its own messages below it).
 */
public record PeerLimits(
    int queueCapacityMessages,
    int maxBatchMessages,
    int maxBatchBytes,
    int maxMessageBytes,
    long backoffInitialMs,
    long backoffMaxMs) {

  public static final PeerLimits DEFAULT = new PeerLimits(4096, 512, 4 << 20, 16 << 20, 50, 2000);

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
  }

  /** gRPC's inbound limit for a peer stream: one batch, or one oversize single message, plus framing. */
  int maxInboundBytes() {
    return Math.max(maxBatchBytes, maxMessageBytes) + 64 * 1024;
  }
}
