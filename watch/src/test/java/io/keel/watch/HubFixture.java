package io.keel.watch;

import com.google.protobuf.ByteString;
import io.keel.kvstore.MvccStore;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.ResponseHeader;
import io.keel.proto.etcdserverpb.WatchCreateRequest;
import io.keel.proto.etcdserverpb.WatchResponse;
import io.keel.proto.mvccpb.Event;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A real store and a hub over it, with request helpers. */
final class HubFixture implements AutoCloseable {
  final MvccStore store;
  final WatchHub hub;
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  HubFixture(Path dir, WatchConfig config) {
    this(dir, config, false);
  }

  /** {@code manual}: no dispatcher thread; the test drives {@link WatchHub#step()}. */
  HubFixture(Path dir, WatchConfig config, boolean manual) {
    store = MvccStore.open(MvccStore.Options.of(dir).syncWrites(false));
    hub = new WatchHub(store, config, rev -> ResponseHeader.newBuilder().setRevision(rev).setClusterId(7)
        .setMemberId(9).build(), registry, !manual);
  }

  static WatchConfig smallConfig() {
    return new WatchConfig(64, 1024, 4, 4096, 50, 2, 600_000, 1 << 20);
  }

  static ByteString b(String s) {
    return ByteString.copyFrom(s, StandardCharsets.UTF_8);
  }

  long put(String k, String v) {
    return store.put(PutRequest.newBuilder().setKey(b(k)).setValue(b(v)).setPrevKv(false).build(), 0)
        .getHeader().getRevision();
  }

  static WatchCreateRequest.Builder watch(String key) {
    return WatchCreateRequest.newBuilder().setKey(b(key));
  }

  static WatchCreateRequest.Builder prefix(String key) {
    return WatchCreateRequest.newBuilder().setKey(b(key)).setRangeEnd(WatchRange.prefixEnd(b(key)));
  }

  /** The events of watch {@code id} in arrival order, with fragments joined. */
  static List<Event> events(CollectingSink sink, long id) {
    List<Event> out = new ArrayList<>();
    for (WatchResponse r : sink.forWatch(id)) {
      out.addAll(r.getEventsList());
    }
    return out;
  }

  @Override
  public void close() {
    hub.close();
    store.close();
  }
}
