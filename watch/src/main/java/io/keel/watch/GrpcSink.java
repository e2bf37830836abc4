package io.keel.watch;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.keel.proto.etcdserverpb.WatchResponse;

/** A {@link ResponseSink} over a gRPC server stream, using its flow control (isReady / onReady). */
final class GrpcSink implements ResponseSink {
  private final ServerCallStreamObserver<WatchResponse> out;

  GrpcSink(ServerCallStreamObserver<WatchResponse> out) {
    this.out = out;
  }

  @Override
  public boolean isReady() {
    return out.isReady() && !out.isCancelled();
  }

  @Override
  public void onReady(Runnable callback) {
    out.setOnReadyHandler(callback);
  }

  @Override
  public void send(WatchResponse response) {
    out.onNext(response);
  }

  @Override
  public void close(Status status) {
    if (out.isCancelled()) {
      return;
    }
    if (status.isOk()) {
      out.onCompleted();
    } else {
      out.onError(status.asRuntimeException());
    }
  }
}
