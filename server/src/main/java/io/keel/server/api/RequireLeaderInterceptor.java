package io.keel.server.api;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.function.LongSupplier;

/**
 * etcd's "hasleader" metadata (clientv3.WithRequireLeader): a request carrying it fails at once with
 * "etcdserver: no leader" while this member knows no leader, instead of waiting for one.
 */
public final class RequireLeaderInterceptor implements ServerInterceptor {
  static final Metadata.Key<String> HAS_LEADER = Metadata.Key.of("hasleader", Metadata.ASCII_STRING_MARSHALLER);

  private final LongSupplier leaderId;

  public RequireLeaderInterceptor(LongSupplier leaderId) {
    this.leaderId = leaderId;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    if ("true".equals(headers.get(HAS_LEADER)) && leaderId.getAsLong() == 0) {
      call.close(EtcdStatus.NO_LEADER, new Metadata());
      return new ServerCall.Listener<>() { };
    }
    return next.startCall(call, headers);
  }
}
