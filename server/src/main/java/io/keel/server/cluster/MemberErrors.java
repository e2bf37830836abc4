package io.keel.server.cluster;

import io.grpc.Status;

/** etcd 3.4's membership errors (rpctypes), with etcd's gRPC codes and texts: etcdctl and clients match on them. */
public final class MemberErrors {
  public static final Status MEMBER_EXIST = Status.FAILED_PRECONDITION
      .withDescription("etcdserver: member ID already exist");
  public static final Status PEER_URL_EXIST = Status.FAILED_PRECONDITION
      .withDescription("etcdserver: Peer URLs already exists");
  public static final Status NOT_ENOUGH_STARTED = Status.FAILED_PRECONDITION
      .withDescription("etcdserver: re-configuration failed due to not enough started members");
  public static final Status BAD_URLS = Status.INVALID_ARGUMENT
      .withDescription("etcdserver: given member URLs are invalid");
  public static final Status NOT_FOUND = Status.NOT_FOUND.withDescription("etcdserver: member not found");
  public static final Status NOT_LEARNER = Status.FAILED_PRECONDITION
      .withDescription("etcdserver: can only promote a learner member");
  public static final Status LEARNER_NOT_READY = Status.FAILED_PRECONDITION
      .withDescription("etcdserver: can only promote a learner member which is in sync with leader");
  public static final Status TOO_MANY_LEARNERS = Status.FAILED_PRECONDITION
      .withDescription("etcdserver: too many learner members in cluster");
  public static final Status UNHEALTHY = Status.UNAVAILABLE.withDescription("etcdserver: unhealthy cluster");
  public static final Status NOT_SUPPORTED_FOR_LEARNER = Status.UNAVAILABLE
      .withDescription("etcdserver: rpc not supported for learner");

  /** What a removed member logs as it stops (etcd's text). */
  public static final String REMOVED_MESSAGE = "the member has been permanently removed from the cluster";

  private MemberErrors() {}
}
