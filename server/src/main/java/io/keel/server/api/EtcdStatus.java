package io.keel.server.api;

import io.grpc.Status;

/** etcd's request errors, with etcd's gRPC codes and texts (clients match on them). One place for all. */
public final class EtcdStatus {
  public static final Status NO_LEADER = Status.UNAVAILABLE.withDescription("etcdserver: no leader");
  public static final Status TOO_MANY_REQUESTS = Status.RESOURCE_EXHAUSTED.withDescription("etcdserver: too many requests");
  public static final Status NOT_LEADER = Status.FAILED_PRECONDITION.withDescription("etcdserver: not leader");
  public static final Status BAD_TRANSFEREE = Status.FAILED_PRECONDITION.withDescription("etcdserver: bad leader transferee");
  public static final Status TIMED_OUT = Status.UNAVAILABLE.withDescription("etcdserver: request timed out");
  public static final Status STOPPED = Status.UNAVAILABLE.withDescription("etcdserver: server stopped");

  private EtcdStatus() {}
}
