package io.keel.bench.watch;

import io.grpc.Status;
import io.keel.proto.etcdserverpb.WatchResponse;
import io.keel.watch.ResponseSink;
import java.util.concurrent.atomic.AtomicLong;

/** A watch stream end that is always ready and only counts events (the benchmark's consumer). */
final class CountingSink implements ResponseSink {
  final AtomicLong events = new AtomicLong();

  @Override
  public boolean isReady() {
    return true;
  }

  @Override
  public void onReady(Runnable callback) {}

  @Override
  public void send(WatchResponse response) {
    events.addAndGet(response.getEventsCount());
  }

  @Override
  public void close(Status status) {}
}
