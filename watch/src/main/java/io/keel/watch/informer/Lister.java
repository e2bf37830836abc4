package io.keel.watch.informer;

import com.google.protobuf.ByteString;
import io.grpc.Channel;
import io.keel.proto.etcdserverpb.KVGrpc;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.proto.etcdserverpb.RangeResponse;
import io.keel.proto.mvccpb.KeyValue;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Lists every key in a range as one consistent snapshot: the first page fixes the revision, the rest
 * are read at that pinned revision (so concurrent writes never tear the list). If that revision is
 * compacted midway etcd fails the Range and the caller lists again.
 */
final class Lister {
  /** A complete list: the key-values in key order and the revision they are consistent at. */
  record Snapshot(List<KeyValue> kvs, long revision) {
  }

  private final Channel channel;
  private final KeyRange range;
  private final int pageSize;
  private final int maxObjects;
  private final long requestTimeoutMs;

  Lister(Channel channel, KeyRange range, int pageSize, int maxObjects, long requestTimeoutMs) {
    this.channel = channel;
    this.range = range;
    this.pageSize = pageSize;
    this.maxObjects = maxObjects;
    this.requestTimeoutMs = requestTimeoutMs;
  }

  Snapshot list() {
    List<KeyValue> out = new ArrayList<>();
    long revision = 0;
    ByteString from = range.key();
    while (true) {
      RangeRequest req = RangeRequest.newBuilder().setKey(from).setRangeEnd(range.rangeEnd())
          .setLimit(pageSize).setRevision(revision).build();
      RangeResponse resp = KVGrpc.newBlockingStub(channel)
          .withDeadlineAfter(requestTimeoutMs, TimeUnit.MILLISECONDS).range(req);
      if (revision == 0) {
        revision = resp.getHeader().getRevision();
        if (revision <= 0) {
          throw new IllegalStateException("Range response without a header revision");
        }
      }
      if (resp.getKvsCount() > pageSize) {
        throw new IllegalStateException("server returned " + resp.getKvsCount() + " kvs for limit " + pageSize);
      }
      for (KeyValue kv : resp.getKvsList()) {
        if (!out.isEmpty() && ByteString.unsignedLexicographicalComparator()
            .compare(out.get(out.size() - 1).getKey(), kv.getKey()) >= 0) {
          throw new IllegalStateException("Range pages not in key order at " + kv.getKey().toStringUtf8());
        }
        if (kv.getModRevision() > revision) {
          throw new IllegalStateException("kv newer than the pinned revision " + revision);
        }
        out.add(kv);
      }
      if (out.size() > maxObjects) {
        throw new IllegalStateException("list of " + range.key().toStringUtf8() + " exceeds maxObjects="
            + maxObjects);
      }
      if (!resp.getMore() || resp.getKvsCount() == 0) {
        return new Snapshot(out, revision);
      }
      from = KeyRange.successor(resp.getKvs(resp.getKvsCount() - 1).getKey());
    }
  }
}
