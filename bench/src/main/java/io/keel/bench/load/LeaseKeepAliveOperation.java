package io.keel.bench.load;

import io.grpc.stub.StreamObserver;
import io.keel.proto.etcdserverpb.LeaseGrantRequest;
import io.keel.proto.etcdserverpb.LeaseGrpc;
import io.keel.proto.etcdserverpb.LeaseKeepAliveRequest;
import io.keel.proto.etcdserverpb.LeaseKeepAliveResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * etcd's lease-keepalive benchmark: every client grants one lease, then each request is one keep-alive
 * round trip on that client's LeaseKeepAlive stream. Responses on a stream come in request order, so
 * pending completions are matched FIFO.
 */
public final class LeaseKeepAliveOperation implements AsyncOperation, AutoCloseable {

  /** Lease TTL granted for the benchmark, seconds. */
  public static final long LEASE_TTL_SECONDS = 100;

  private final List<Client> clients = new ArrayList<>();

  private static final class Client implements StreamObserver<LeaseKeepAliveResponse> {
    final long leaseId;
    final ConcurrentLinkedQueue<Completion> pending = new ConcurrentLinkedQueue<>();
    StreamObserver<LeaseKeepAliveRequest> requests;
    volatile Throwable failure;

    Client(long leaseId) {
      this.leaseId = leaseId;
    }

    @Override
    public void onNext(LeaseKeepAliveResponse r) {
      Completion c = pending.poll();
      if (c != null) {
        c.done(r.getTTL() > 0 ? null : new IllegalStateException("lease " + leaseId + " expired or not found"));
      }
    }

    @Override
    public void onError(Throwable t) {
      failure = t;
      Completion c;
      while ((c = pending.poll()) != null) {
        c.done(t);
      }
    }

    @Override
    public void onCompleted() {
      onError(new IllegalStateException("keep-alive stream closed by the server"));
    }
  }

  /** Grants one lease per client (blocking, bounded by {@code requestTimeoutMs} each) and opens the streams. */
  public LeaseKeepAliveOperation(EtcdConnections conns, int clientCount, long requestTimeoutMs) {
    for (int i = 0; i < clientCount; i++) {
      long id = LeaseGrpc.newBlockingStub(conns.forClient(i)).withDeadlineAfter(requestTimeoutMs, TimeUnit.MILLISECONDS)
          .leaseGrant(LeaseGrantRequest.newBuilder().setTTL(LEASE_TTL_SECONDS).build()).getID();
      Client c = new Client(id);
      c.requests = LeaseGrpc.newStub(conns.forClient(i)).leaseKeepAlive(c);
      clients.add(c);
    }
  }

  @Override
  public void issue(int clientIndex, long sequence, Completion done) {
    Client c = clients.get(clientIndex);
    Throwable failed = c.failure;
    if (failed != null) {
      done.done(failed);
      return;
    }
    synchronized (c) {
      c.pending.add(done);
      c.requests.onNext(LeaseKeepAliveRequest.newBuilder().setID(c.leaseId).build());
    }
  }

  @Override
  public void close() {
    for (Client c : clients) {
      synchronized (c) {
        try {
          c.requests.onCompleted();
        } catch (RuntimeException e) {
          // Stream already failed; closing is best effort.
        }
      }
    }
  }
}
