package io.keel.server.it;

/**
 * The ports and cluster flags of one member of a multi-member test cluster, fixed before any member starts
 * (every member's {@code --initial-cluster} names all of them).
 *
 * @param clientPort        {@code --listen-client-urls} port
 * @param peerPort          {@code --listen-peer-urls} port (what the member really listens on)
 * @param metricsPort       {@code --listen-metrics-urls} port, used only if the flags ask for metrics
 * @param advertisePeerUrls {@code --initial-advertise-peer-urls}: comma-separated, may be proxy addresses
 * @param initialCluster    {@code --initial-cluster} as this member sees it
 * @param clusterToken      {@code --initial-cluster-token}, the same on every member
 * @param initialClusterState {@code --initial-cluster-state}: "new", or "existing" for a member added later
 */
record MemberLayout(int clientPort, int peerPort, int metricsPort, String advertisePeerUrls,
    String initialCluster, String clusterToken, String initialClusterState) {

  /** A member of a new cluster. */
  MemberLayout(int clientPort, int peerPort, int metricsPort, String advertisePeerUrls, String initialCluster,
      String clusterToken) {
    this(clientPort, peerPort, metricsPort, advertisePeerUrls, initialCluster, clusterToken, "new");
  }
}
