package io.keel.server.watch;

import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.keel.proto.etcdserverpb.WatchCancelRequest;
import io.keel.proto.etcdserverpb.WatchCreateRequest;
import io.keel.proto.etcdserverpb.WatchGrpc;
import io.keel.proto.etcdserverpb.WatchProgressRequest;
import io.keel.proto.etcdserverpb.WatchRequest;
import io.keel.proto.etcdserverpb.WatchResponse;
import io.keel.proto.mvccpb.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** One Watch stream over etcd's generated stub, recording every response in arrival order. */
final class WatchClient implements AutoCloseable {
  final LinkedBlockingQueue<WatchResponse> responses = new LinkedBlockingQueue<>();
  final List<WatchResponse> all = new ArrayList<>();
  volatile Throwable error;
  volatile boolean completed;
  private final StreamObserver<WatchRequest> requests;

  WatchClient(ManagedChannel channel) {
    requests = WatchGrpc.newStub(channel).watch(new StreamObserver<>() {
      @Override
      public void onNext(WatchResponse r) {
        responses.add(r);
      }

      @Override
      public void onError(Throwable t) {
        error = t;
      }

      @Override
      public void onCompleted() {
        completed = true;
      }
    });
  }

  void create(WatchCreateRequest req) {
    requests.onNext(WatchRequest.newBuilder().setCreateRequest(req).build());
  }

  void cancel(long id) {
    requests.onNext(WatchRequest.newBuilder().setCancelRequest(WatchCancelRequest.newBuilder().setWatchId(id))
        .build());
  }

  void progress() {
    requests.onNext(WatchRequest.newBuilder().setProgressRequest(WatchProgressRequest.getDefaultInstance()).build());
  }

  void halfClose() {
    requests.onCompleted();
  }

  /** The next response, failing after {@code timeoutMs}. */
  WatchResponse next(long timeoutMs) throws InterruptedException {
    WatchResponse r = responses.poll(timeoutMs, TimeUnit.MILLISECONDS);
    if (r == null) {
      throw new AssertionError("no watch response within " + timeoutMs + " ms (error: " + error + ")");
    }
    all.add(r);
    return r;
  }

  /** Reads responses until {@code count} events of watch {@code id} arrived; returns them in order. */
  List<Event> events(long id, int count, long timeoutMs) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    List<Event> out = new ArrayList<>();
    for (WatchResponse r : all) {
      if (r.getWatchId() == id) {
        out.addAll(r.getEventsList());
      }
    }
    while (out.size() < count) {
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) {
        throw new AssertionError("watch " + id + ": " + out.size() + " of " + count + " events");
      }
      WatchResponse r = next(left);
      if (r.getWatchId() == id) {
        out.addAll(r.getEventsList());
      }
    }
    return out;
  }

  @Override
  public void close() {
    try {
      requests.onCompleted();
    } catch (RuntimeException ignored) {
      // already closed
    }
  }
}
