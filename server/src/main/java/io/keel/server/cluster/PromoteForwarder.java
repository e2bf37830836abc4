package io.keel.server.cluster;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.keel.proto.etcdserverpb.ClusterGrpc;
import io.keel.proto.etcdserverpb.MemberPromoteRequest;
import io.keel.proto.etcdserverpb.MemberPromoteResponse;
import io.keel.proto.internal.MemberAttributes;
import io.keel.server.api.EtcdStatus;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;
import java.util.function.LongSupplier;

/**
 * Sends a follower's MemberPromote to the leader's published client URL (etcd forwards it to the leader's peer
 * URL over HTTP). A forwarded call carries a marker and is never forwarded again, so members that disagree on the
 * leader cannot bounce it around: it fails with "etcdserver: not leader" instead.
 */
public final class PromoteForwarder implements AutoCloseable {
  private static final Metadata.Key<String> FORWARDED =
      Metadata.Key.of("keel-member-forwarded", Metadata.ASCII_STRING_MARSHALLER);
  private static final Context.Key<Boolean> WAS_FORWARDED = Context.key("keel-member-forwarded");

  private final LongSupplier leaderId;
  private final LongFunction<MemberAttributes> published;
  private final long requestTimeoutMs;
  private final MemberChannels channels = new MemberChannels();

  public PromoteForwarder(LongSupplier leaderId, LongFunction<MemberAttributes> published, long requestTimeoutMs) {
    this.leaderId = leaderId;
    this.published = published;
    this.requestTimeoutMs = requestTimeoutMs;
  }

  /** Marks calls that were forwarded; install on the Cluster service. */
  public ServerInterceptor interceptor() {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        Context ctx = Context.current().withValue(WAS_FORWARDED, headers.containsKey(FORWARDED));
        return Contexts.interceptCall(ctx, call, headers, next);
      }
    };
  }

  public void forward(MemberPromoteRequest req, StreamObserver<MemberPromoteResponse> out) {
    long leader = leaderId.getAsLong();
    MemberAttributes attrs = leader == 0 ? null : published.apply(leader);
    ManagedChannel ch = attrs == null || attrs.getClientUrlsCount() == 0 ? null : channels.get(attrs.getClientUrls(0));
    if (Boolean.TRUE.equals(WAS_FORWARDED.get()) || ch == null) {
      out.onError((leader == 0 ? EtcdStatus.NO_LEADER : EtcdStatus.NOT_LEADER).asRuntimeException());
      return;
    }
    Metadata md = new Metadata();
    md.put(FORWARDED, "1");
    ClusterGrpc.newStub(ch).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md))
        .withDeadlineAfter(requestTimeoutMs, TimeUnit.MILLISECONDS).memberPromote(req, out);
  }

  @Override
  public void close() {
    channels.close();
  }
}
