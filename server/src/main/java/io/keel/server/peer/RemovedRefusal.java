package io.keel.server.peer;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * etcd's rafthttp "410 Gone" in gRPC form: a member answers a peer stream from a member the cluster removed with
 * FAILED_PRECONDITION plus a trailer naming the removed member, so the removed member can tell this answer apart
 * from every other refusal (cluster id mismatch, overload, transport errors) and stop itself. Only a member of the
 * same cluster answers it (the cluster id is checked first).
 */
final class RemovedRefusal {
  /** Trailer carrying the removed member's id (hex). */
  static final Metadata.Key<String> REMOVED_MEMBER =
      Metadata.Key.of("keel-removed-member", Metadata.ASCII_STRING_MARSHALLER);

  private RemovedRefusal() {}

  /** The answer to a stream from {@code memberId}, which this cluster removed. */
  static StatusRuntimeException of(long memberId) {
    Metadata trailers = new Metadata();
    trailers.put(REMOVED_MEMBER, Long.toHexString(memberId));
    return Status.FAILED_PRECONDITION.withDescription("keel: member " + Long.toHexString(memberId)
        + " has been permanently removed from the cluster").asRuntimeException(trailers);
  }

  /** Whether {@code t} is a peer's answer that {@code memberId} (this member) was removed. */
  static boolean names(Throwable t, long memberId) {
    if (Status.fromThrowable(t).getCode() != Status.Code.FAILED_PRECONDITION) {
      return false;
    }
    Metadata trailers = Status.trailersFromThrowable(t);
    return trailers != null && Long.toHexString(memberId).equals(trailers.get(REMOVED_MEMBER));
  }
}
