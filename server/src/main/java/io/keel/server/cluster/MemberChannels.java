package io.keel.server.cluster;

import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Channels to other members' client URLs (for requests forwarded to the leader), one per URL, kept until
 * closed. gRPC backs off reconnecting to an address that failed for up to two minutes; a member that was down
 * for long and now leads would be unreachable for that long, so a channel in that state tries again at once
 * when asked for (the callers are bounded per request).
 */
public final class MemberChannels implements AutoCloseable {
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /** The channel to {@code clientUrl}, created on first use; null once closed. */
  public ManagedChannel get(String clientUrl) {
    if (closed) {
      return null;
    }
    ManagedChannel ch = channels.computeIfAbsent(clientUrl, u -> {
      URI uri = URI.create(u);
      return NettyChannelBuilder.forAddress(uri.getHost(), uri.getPort()).usePlaintext().build();
    });
    if (ch.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
      ch.resetConnectBackoff();
    }
    return ch;
  }

  public boolean isClosed() {
    return closed;
  }

  @Override
  public void close() {
    closed = true;
    channels.values().forEach(ManagedChannel::shutdownNow);
    channels.clear();
  }
}
