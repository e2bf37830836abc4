package io.keel.server.raft;

import io.grpc.Status;

/** etcd's errors for a replicated member, with etcd's gRPC codes and texts. */
final class Errors {
  static final Status NO_LEADER = Status.UNAVAILABLE.withDescription("etcdserver: no leader");
  static final Status TOO_MANY_REQUESTS = Status.RESOURCE_EXHAUSTED.withDescription("etcdserver: too many requests");
  static final Status NOT_LEADER = Status.FAILED_PRECONDITION.withDescription("etcdserver: not leader");
  static final Status BAD_TRANSFEREE = Status.FAILED_PRECONDITION.withDescription("etcdserver: bad leader transferee");
  static final Status TIMED_OUT = Status.UNAVAILABLE.withDescription("etcdserver: request timed out");
  static final Status STOPPED = Status.UNAVAILABLE.withDescription("etcdserver: server stopped");

  private Errors() {}
}
