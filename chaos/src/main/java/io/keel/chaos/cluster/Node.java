package io.keel.chaos.cluster;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.concurrent.TimeUnit;
import org.testcontainers.containers.GenericContainer;

/**
 * One Keel member in a container: its name (also its DNS alias on the run's network), its address on that
 * network, and a gRPC channel to its client port as mapped on the host. The mapped port changes when the
 * container is restarted, so the channel is replaced then ({@link #reconnect}).
 */
public final class Node {
  private final String name;
  private final GenericContainer<?> container;
  private volatile String ip;
  private final java.util.List<String> argv;
  private volatile int clientPort;
  private volatile ManagedChannel channel;
  /** Even while the member's process may run, odd while it is certainly dead (killed, not yet restarted). */
  private final java.util.concurrent.atomic.AtomicLong liveness = new java.util.concurrent.atomic.AtomicLong();

  Node(String name, GenericContainer<?> container, String ip, int clientPort, java.util.List<String> argv) {
    this.name = name;
    this.argv = java.util.List.copyOf(argv);
    this.container = container;
    this.ip = ip;
    reconnect(clientPort);
  }

  public String name() {
    return name;
  }

  public String ip() {
    return ip;
  }

  /** The member's first command line (entry point and arguments); see MemberArgs. */
  public java.util.List<String> argv() {
    return argv;
  }

  /** A restarted container may get another address on the run's network (peers find it by name). */
  void updateIp(String newIp) {
    if (newIp != null && !newIp.isEmpty()) {
      ip = newIp;
    }
  }

  public String containerId() {
    return container.getContainerId();
  }

  GenericContainer<?> container() {
    return container;
  }

  public int clientPort() {
    return clientPort;
  }

  /** The current channel to this member (a new one after a restart). */
  public ManagedChannel channel() {
    return channel;
  }

  /**
   * A counter that is odd while the member is certainly down. A client that reads the same odd value before
   * sending and after its request failed knows the request never reached a live member.
   */
  public long liveness() {
    return liveness.get();
  }

  void markDown() {
    if ((liveness.incrementAndGet() & 1) == 0) {
      throw new IllegalStateException(name + " marked down twice");
    }
  }

  void markMaybeUp() {
    if ((liveness.incrementAndGet() & 1) == 1) {
      throw new IllegalStateException(name + " marked up while not down");
    }
  }

  synchronized void reconnect(int port) {
    ManagedChannel old = channel;
    clientPort = port;
    channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
        .maxInboundMessageSize(4 << 20).build();
    if (old != null) {
      old.shutdownNow();
    }
  }

  void closeChannel() throws InterruptedException {
    ManagedChannel c = channel;
    if (c != null) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Override
  public String toString() {
    return name + "(" + ip + ", port " + clientPort + ")";
  }
}
