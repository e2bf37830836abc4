package io.keel.server.it;

/**
 * Options shared by {@link EtcdProcess} and {@link KeelProcess}: both take etcd's own flag names, so the
 * same config starts either server the same way.
 *
 * @param name                member name ({@code --name}); also used in the initial cluster and in log names
 * @param maxRequestBytes     {@code --max-request-bytes}, or 0 for the server default
 * @param quotaBackendBytes   {@code --quota-backend-bytes}, or 0 for the server default
 * @param metricsListener     whether to pass {@code --listen-metrics-urls} on a free loopback port
 * @param snapshotCount       {@code --snapshot-count}, or 0 for the server default
 */
public record ServerFlags(String name, long maxRequestBytes, long quotaBackendBytes, boolean metricsListener,
    long snapshotCount) {

  public ServerFlags {
    if (name == null || !name.matches("[a-zA-Z0-9][a-zA-Z0-9-]{0,30}")) {
      throw new IllegalArgumentException("member name must be 1-31 chars [a-zA-Z0-9-]: " + name);
    }
    if (maxRequestBytes < 0 || quotaBackendBytes < 0) {
      throw new IllegalArgumentException("byte limits must be >= 0");
    }
    if (snapshotCount < 0) {
      throw new IllegalArgumentException("snapshotCount must be >= 0: " + snapshotCount);
    }
  }

  /** A member called {@code name} with the server's default limits and no metrics listener. */
  public static ServerFlags named(String name) {
    return new ServerFlags(name, 0, 0, false, 0);
  }

  public ServerFlags withMaxRequestBytes(long bytes) {
    return new ServerFlags(name, bytes, quotaBackendBytes, metricsListener, snapshotCount);
  }

  public ServerFlags withQuotaBackendBytes(long bytes) {
    return new ServerFlags(name, maxRequestBytes, bytes, metricsListener, snapshotCount);
  }

  public ServerFlags withMetricsListener() {
    return new ServerFlags(name, maxRequestBytes, quotaBackendBytes, true, snapshotCount);
  }

  public ServerFlags withSnapshotCount(long count) {
    return new ServerFlags(name, maxRequestBytes, quotaBackendBytes, metricsListener, count);
  }

  /** The same options for another member name (the members of one cluster share all but the name). */
  public ServerFlags withName(String memberName) {
    return new ServerFlags(memberName, maxRequestBytes, quotaBackendBytes, metricsListener, snapshotCount);
  }
}
