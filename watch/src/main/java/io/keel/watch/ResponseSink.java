package io.keel.watch;

import io.grpc.Status;
import io.keel.proto.etcdserverpb.WatchResponse;

/**
 * Where one watch stream's responses go: the gRPC server stream in production ({@link GrpcSink}). Calls are
 * serialised by {@link Session}; {@link #isReady()} is the transport's flow-control signal and
 * {@link #onReady(Runnable)} registers the callback for when it becomes ready again.
 */
public interface ResponseSink {
  boolean isReady();

  void onReady(Runnable callback);

  void send(WatchResponse response);

  /** Ends the stream: OK status completes it, any other fails it. Called at most once. */
  void close(Status status);
}
