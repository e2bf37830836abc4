package io.keel.watch.informer;

import io.grpc.Channel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.keel.proto.etcdserverpb.WatchCreateRequest;
import io.keel.proto.etcdserverpb.WatchGrpc;
import io.keel.proto.etcdserverpb.WatchRequest;
import io.keel.proto.etcdserverpb.WatchResponse;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One watch stream with one watch on it, read with gRPC flow control: at most {@code buffer} responses
 * are requested ahead of the reader, so the inbox is bounded and a slow informer slows the server's
 * sending instead of growing memory. Only the informer thread calls {@link #open}, {@link #poll},
 * {@link #consumed} and {@link #cancel}.
 */
final class WatchStream {
  /** The stream failed or the server closed it. */
  record Ended(Throwable error) {
  }

  private final BlockingQueue<Object> inbox;
  private final int buffer;
  private volatile ClientCallStreamObserver<WatchRequest> requests;

  WatchStream(int buffer) {
    this.buffer = buffer;
    this.inbox = new ArrayBlockingQueue<>(buffer + 2); // + the terminal signal, + slack
  }

  void open(Channel channel, KeyRange range, long startRevision) {
    ClientResponseObserver<WatchRequest, WatchResponse> observer = new ClientResponseObserver<>() {
      @Override
      public void beforeStart(ClientCallStreamObserver<WatchRequest> stream) {
        requests = stream;
        stream.disableAutoRequestWithInitial(buffer);
      }

      @Override
      public void onNext(WatchResponse value) {
        if (!inbox.offer(value)) {
          // Cannot happen under flow control; if it does, fail the stream rather than drop an event.
          requests.cancel("informer watch inbox overflow", null);
        }
      }

      @Override
      public void onError(Throwable t) {
        inbox.offer(new Ended(t));
      }

      @Override
      public void onCompleted() {
        inbox.offer(new Ended(null));
      }
    };
    WatchGrpc.newStub(channel).withWaitForReady().watch(observer);
    requests.onNext(WatchRequest.newBuilder().setCreateRequest(WatchCreateRequest.newBuilder()
        .setKey(range.key()).setRangeEnd(range.rangeEnd()).setStartRevision(startRevision)
        .setPrevKv(true).setProgressNotify(true).setFragment(true)).build());
  }

  /** The next {@link WatchResponse} or {@link Ended}, or null after {@code timeoutMs}. */
  Object poll(long timeoutMs) throws InterruptedException {
    return inbox.poll(timeoutMs, TimeUnit.MILLISECONDS);
  }

  /** The reader finished one response: let the server send one more. */
  void consumed() {
    requests.request(1);
  }

  void cancel(String why) {
    ClientCallStreamObserver<WatchRequest> r = requests;
    if (r != null) {
      r.cancel(why, null);
    }
  }
}
