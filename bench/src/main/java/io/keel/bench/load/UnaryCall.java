package io.keel.bench.load;

import io.grpc.stub.StreamObserver;

/** Adapts a unary gRPC response observer to a {@link AsyncOperation.Completion}. */
final class UnaryCall<T> implements StreamObserver<T> {

  private final AsyncOperation.Completion done;
  private boolean finished;

  UnaryCall(AsyncOperation.Completion done) {
    this.done = done;
  }

  @Override
  public void onNext(T value) {
    // The response itself is not needed; completion is signalled on onCompleted.
  }

  @Override
  public void onError(Throwable t) {
    if (!finished) {
      finished = true;
      done.done(t);
    }
  }

  @Override
  public void onCompleted() {
    if (!finished) {
      finished = true;
      done.done(null);
    }
  }
}
