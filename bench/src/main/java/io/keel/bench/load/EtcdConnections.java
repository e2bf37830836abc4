package io.keel.bench.load;

import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.keel.proto.etcdserverpb.MaintenanceGrpc;
import io.keel.proto.etcdserverpb.StatusRequest;
import io.keel.proto.etcdserverpb.StatusResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code conns} real gRPC channels (each its own TCP connection) to etcd-v3-API endpoints, spread round-robin
 * over the endpoints like etcd's benchmark; client i uses channel {@code i % conns}. With target-leader, all
 * channels go to the endpoint whose Status says it is the leader.
 */
public final class EtcdConnections implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EtcdConnections.class);
  /** Upper bound on connections. */
  public static final int MAX_CONNS = 10_000;
  private static final int MAX_MESSAGE_BYTES = 64 << 20;
  /** How long opening the connections may take. */
  public static final long CONNECT_TIMEOUT_MS = 15_000;

  private final List<ManagedChannel> channels;
  private final List<Endpoints.HostPort> targets;

  private EtcdConnections(List<ManagedChannel> channels, List<Endpoints.HostPort> targets) {
    this.channels = channels;
    this.targets = targets;
  }

  /**
   * Opens the channels.
   *
   * @param endpoints loopback endpoints (validated)
   * @param conns number of channels (1..10000)
   * @param targetLeader connect only to the current leader
   */
  public static EtcdConnections open(List<Endpoints.HostPort> endpoints, int conns, boolean targetLeader) {
    if (conns < 1 || conns > MAX_CONNS) {
      throw new IllegalArgumentException("conns must be in 1.." + MAX_CONNS + ": " + conns);
    }
    List<Endpoints.HostPort> targets = targetLeader ? List.of(findLeader(endpoints)) : List.copyOf(endpoints);
    List<ManagedChannel> channels = new ArrayList<>(conns);
    for (int i = 0; i < conns; i++) {
      channels.add(channel(targets.get(i % targets.size())));
    }
    EtcdConnections result = new EtcdConnections(channels, targets);
    try {
      result.awaitReady(CONNECT_TIMEOUT_MS);
    } catch (RuntimeException e) {
      result.close();
      throw e;
    }
    return result;
  }

  /**
   * Connects every channel now and waits until all are READY, so connection setup is not measured as
   * request latency.
   */
  private void awaitReady(long timeoutMs) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    for (ManagedChannel ch : channels) {
      ch.getState(true);
    }
    for (ManagedChannel ch : channels) {
      while (true) {
        ConnectivityState state = ch.getState(true);
        if (state == ConnectivityState.READY) {
          break;
        }
        if (System.nanoTime() - deadline >= 0) {
          throw new IllegalStateException("cannot connect to " + targets + " within " + timeoutMs + " ms (state "
              + state + ")");
        }
        java.util.concurrent.CountDownLatch changed = new java.util.concurrent.CountDownLatch(1);
        ch.notifyWhenStateChanged(state, changed::countDown);
        try {
          changed.await(50, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while connecting", e);
        }
      }
    }
  }

  /** A plaintext channel whose callbacks run on the transport thread (benchmark callbacks never block). */
  public static ManagedChannel channel(Endpoints.HostPort hp) {
    return ManagedChannelBuilder.forAddress(hp.host(), hp.port())
        .usePlaintext()
        .directExecutor()
        .maxInboundMessageSize(MAX_MESSAGE_BYTES)
        .build();
  }

  /** The endpoint whose Status reports itself as leader. */
  public static Endpoints.HostPort findLeader(List<Endpoints.HostPort> endpoints) {
    List<String> problems = new ArrayList<>();
    for (Endpoints.HostPort hp : endpoints) {
      ManagedChannel ch = channel(hp);
      try {
        StatusResponse s = MaintenanceGrpc.newBlockingStub(ch).withDeadlineAfter(3, TimeUnit.SECONDS)
            .status(StatusRequest.getDefaultInstance());
        if (s.getLeader() != 0 && s.getLeader() == s.getHeader().getMemberId()) {
          LOG.info("leader is {}", hp);
          return hp;
        }
      } catch (RuntimeException e) {
        problems.add(hp + ": " + e.getMessage());
      } finally {
        shutdown(ch);
      }
    }
    throw new IllegalStateException("no endpoint reports itself as leader " + endpoints + " " + problems);
  }

  public ManagedChannel forClient(int clientIndex) {
    return channels.get(Math.floorMod(clientIndex, channels.size()));
  }

  public int size() {
    return channels.size();
  }

  /** The endpoints actually used (just the leader with target-leader). */
  public List<Endpoints.HostPort> targets() {
    return targets;
  }

  static void shutdown(ManagedChannel ch) {
    ch.shutdownNow();
    try {
      ch.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    channels.forEach(ManagedChannel::shutdownNow);
    for (ManagedChannel ch : channels) {
      shutdown(ch);
    }
  }
}
