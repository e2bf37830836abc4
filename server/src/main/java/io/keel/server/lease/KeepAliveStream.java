package io.keel.server.lease;

import io.grpc.stub.StreamObserver;
import io.keel.proto.etcdserverpb.LeaseKeepAliveRequest;
import io.keel.proto.etcdserverpb.LeaseKeepAliveResponse;
import io.keel.server.api.EtcdStatus;
import io.keel.server.api.Headers;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One client's LeaseKeepAlive stream: on the leader each renewal is answered at once (TTL, or 0 for an unknown or
 * expired lease, as etcd); elsewhere it is relayed to the leader. With no leader to ask, the stream ends with
 * "etcdserver: no leader" (clients reopen it). Writes to the client are serialized (relay answers arrive on
 * another thread) and stop once the stream ended.
 */
final class KeepAliveStream implements StreamObserver<LeaseKeepAliveRequest> {
  private final StreamObserver<LeaseKeepAliveResponse> out;
  private final boolean forwarded;
  private final Headers headers;
  private final Lessor lessor;
  private final LeaderForwarder.Relay relay;
  private final Runnable onEnd;
  private final AtomicBoolean ended = new AtomicBoolean();
  private boolean outDone;

  KeepAliveStream(StreamObserver<LeaseKeepAliveResponse> out, boolean forwarded, Headers headers, Lessor lessor,
      LeaderForwarder forwarder, int maxUnanswered, Runnable onEnd) {
    this.out = out;
    this.forwarded = forwarded;
    this.headers = headers;
    this.lessor = lessor;
    this.onEnd = onEnd;
    this.relay = forwarder.new Relay(new StreamObserver<>() {
      @Override
      public void onNext(LeaseKeepAliveResponse r) {
        send(r.toBuilder().setHeader(headers.current()).build());
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    }, maxUnanswered);
  }

  @Override
  public void onNext(LeaseKeepAliveRequest req) {
    long ttl;
    try {
      ttl = lessor.renew(req.getID());
    } catch (Lessor.NotPrimaryException e) {
      if (forwarded || !relay.send(req)) {
        fail();
      }
      return;
    }
    send(LeaseKeepAliveResponse.newBuilder().setHeader(headers.current()).setID(req.getID()).setTTL(ttl).build());
  }

  private synchronized void send(LeaseKeepAliveResponse r) {
    if (!outDone) {
      out.onNext(r);
    }
  }

  private synchronized void fail() {
    if (!outDone) {
      outDone = true;
      out.onError(EtcdStatus.NO_LEADER.asRuntimeException());
    }
    end();
  }

  @Override
  public void onError(Throwable t) {
    end(); // the client went away
  }

  @Override
  public synchronized void onCompleted() {
    if (!outDone) {
      outDone = true;
      out.onCompleted();
    }
    end();
  }

  private void end() {
    if (ended.compareAndSet(false, true)) {
      relay.close();
      onEnd.run();
    }
  }

  /** The observer of a stream refused at open (it already failed): ignores what the client still sends. */
  static final class Ignore implements StreamObserver<LeaseKeepAliveRequest> {
    @Override
    public void onNext(LeaseKeepAliveRequest r) {}

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
  }
}
