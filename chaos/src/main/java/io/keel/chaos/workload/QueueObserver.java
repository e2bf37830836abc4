package io.keel.chaos.workload;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Receives a gRPC stream's messages into a bounded queue that a client thread polls: messages, then the
 * stream's end as a {@link Throwable} (an error, or UNAVAILABLE "stream completed"). When the queue is full the
 * observer stops accepting messages and reports {@link #overflowed()}, so the reader knows everything it polled
 * precedes the loss and can resume from there.
 */
public final class QueueObserver<T> implements StreamObserver<T> {
  private final BlockingQueue<Object> queue;
  private final int maxMessages;
  private volatile boolean overflowed;

  public QueueObserver(int maxMessages) {
    if (maxMessages < 1) {
      throw new IllegalArgumentException("maxMessages must be positive");
    }
    this.maxMessages = maxMessages;
    this.queue = new ArrayBlockingQueue<>(maxMessages + 2);
  }

  @Override
  public void onNext(T value) {
    if (!overflowed && queue.size() >= maxMessages) {
      overflowed = true;
    }
    if (!overflowed) {
      queue.offer(value);
    }
  }

  @Override
  public void onError(Throwable t) {
    queue.offer(t);
  }

  @Override
  public void onCompleted() {
    queue.offer(Status.UNAVAILABLE.withDescription("stream completed by the server").asRuntimeException());
  }

  /** The next message or end-of-stream Throwable, or null after {@code timeoutMs}. */
  public Object poll(long timeoutMs) throws InterruptedException {
    return queue.poll(timeoutMs, TimeUnit.MILLISECONDS);
  }

  public boolean overflowed() {
    return overflowed;
  }
}
