package io.keel.watch;

import io.grpc.Status;
import io.keel.proto.etcdserverpb.WatchResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A stream end that records what it receives, with a readiness switch standing in for a client that stops
 * reading (transport flow control), so tests can force watchers into catch-up.
 */
final class CollectingSink implements ResponseSink {
  private final List<WatchResponse> received = new ArrayList<>();
  private final AtomicBoolean ready = new AtomicBoolean(true);
  private volatile Runnable onReady = () -> { };
  volatile Status closedWith;

  @Override
  public boolean isReady() {
    return ready.get();
  }

  @Override
  public void onReady(Runnable callback) {
    onReady = callback;
  }

  @Override
  public synchronized void send(WatchResponse response) {
    received.add(response);
  }

  @Override
  public void close(Status status) {
    closedWith = status;
  }

  void setReady(boolean r) {
    ready.set(r);
    if (r) {
      onReady.run();
    }
  }

  synchronized List<WatchResponse> received() {
    return new ArrayList<>(received);
  }

  synchronized List<WatchResponse> forWatch(long id) {
    return received.stream().filter(r -> r.getWatchId() == id).toList();
  }
}
