package io.keel.server.api;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.keel.kvstore.EtcdError;
import io.keel.kvstore.EtcdException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Maps Keel's failures onto etcd's gRPC codes and message texts, which etcd clients match on. */
public final class GrpcErrors {
  private static final Logger LOG = LoggerFactory.getLogger(GrpcErrors.class);


  private GrpcErrors() {}

  public static StatusRuntimeException of(EtcdError e) {
    return Status.fromCode(e.code()).withDescription(e.message()).asRuntimeException();
  }

  /** Turns any failure into the status an etcd client expects; unexpected ones are logged and become INTERNAL. */
  public static StatusRuntimeException toStatus(Throwable t) {
    Throwable c = t;
    while (c instanceof CompletionException && c.getCause() != null) {
      c = c.getCause();
    }
    if (c instanceof EtcdException ee) {
      return of(ee.error());
    }
    if (c instanceof StatusRuntimeException sre) {
      return sre;
    }
    if (c instanceof TimeoutException) {
      return EtcdStatus.TIMED_OUT.asRuntimeException(); // not applied in time; it may still be, later
    }
    LOG.error("unexpected failure serving a request", c);
    return Status.INTERNAL.withDescription("keel: internal error: " + c).asRuntimeException();
  }

  public static void fail(StreamObserver<?> observer, Throwable t) {
    observer.onError(toStatus(t));
  }
}
