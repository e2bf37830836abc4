package io.keel.watch;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.keel.proto.etcdserverpb.WatchGrpc;
import io.keel.proto.etcdserverpb.WatchRequest;
import io.keel.proto.etcdserverpb.WatchResponse;

/**
 * etcd's Watch service: one bidirectional stream carries many watches. Requests are handed to the
 * {@link WatchHub}, which answers on the stream; a stream that ends (either side) drops its watchers.
 */
public final class WatchService extends WatchGrpc.WatchImplBase {
  private final WatchHub hub;

  public WatchService(WatchHub hub) {
    this.hub = hub;
  }

  @Override
  public StreamObserver<WatchRequest> watch(StreamObserver<WatchResponse> responses) {
    ServerCallStreamObserver<WatchResponse> out = (ServerCallStreamObserver<WatchResponse>) responses;
    Session session = hub.open(new GrpcSink(out));
    out.setOnCancelHandler(() -> hub.close(session));
    return new StreamObserver<>() {
      @Override
      public void onNext(WatchRequest req) {
        switch (req.getRequestUnionCase()) {
          case CREATE_REQUEST -> hub.create(session, req.getCreateRequest());
          case CANCEL_REQUEST -> hub.cancel(session, req.getCancelRequest().getWatchId());
          case PROGRESS_REQUEST -> hub.requestProgress(session);
          default -> { } // etcd ignores an empty request
        }
      }

      @Override
      public void onError(Throwable t) {
        hub.close(session);
      }

      @Override
      public void onCompleted() {
        // etcd ends the stream when the client half-closes
        hub.finish(session);
      }
    };
  }
}
