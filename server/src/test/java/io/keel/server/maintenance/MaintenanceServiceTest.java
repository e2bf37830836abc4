package io.keel.server.maintenance;

import io.keel.server.MemberCluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.keel.kvstore.MvccStore;
import io.keel.kvstore.SnapshotRestore;
import io.keel.proto.etcdserverpb.CompactionRequest;
import io.keel.proto.etcdserverpb.DefragmentRequest;
import io.keel.proto.etcdserverpb.DeleteRangeRequest;
import io.keel.proto.etcdserverpb.HashKVRequest;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.RequestOp;
import io.keel.proto.etcdserverpb.TxnRequest;
import io.keel.proto.etcdserverpb.SnapshotRequest;
import io.keel.proto.etcdserverpb.SnapshotResponse;
import io.keel.proto.etcdserverpb.StatusRequest;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** etcdctl's snapshot save and defrag against one in-JVM member, checked as etcd 3.4 behaves. */
class MaintenanceServiceTest {
  @TempDir Path dir;
  MemberCluster cluster;

  @BeforeEach
  void start() throws Exception {
    cluster = MemberCluster.builder(dir, 1).start();
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  static ByteString random(Random rnd, int bytes) {
    byte[] v = new byte[bytes];
    rnd.nextBytes(v);
    return ByteString.copyFrom(v);
  }

  /** {@code keys} puts of random {@code valueBytes} values, 50 to a txn (one Raft entry each). */
  void fill(int keys, int valueBytes, Random rnd) {
    for (int i = 0; i < keys; i += 50) {
      TxnRequest.Builder t = TxnRequest.newBuilder();
      for (int j = i; j < Math.min(keys, i + 50); j++) {
        t.addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder()
            .setKey(ByteString.copyFromUtf8("k" + j)).setValue(random(rnd, valueBytes))));
      }
      cluster.kv(0).txn(t.build());
    }
  }

  @Test
  void snapshotStreamsChunksWithRemainingBytesAndEtcdsTrailer_andRestoresToTheSameHash() throws Exception {
    fill(300, 1000, new Random(3));
    int hash = cluster.maintenance(0).hashKV(HashKVRequest.getDefaultInstance()).getHash();
    Iterator<SnapshotResponse> it = cluster.maintenance(0).snapshot(SnapshotRequest.getDefaultInstance());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int chunks = 0;
    long lastRemaining = Long.MAX_VALUE;
    while (it.hasNext()) {
      SnapshotResponse r = it.next();
      assertThat(r.getBlob().size()).isBetween(1, SnapshotSender.DEFAULT_CHUNK_BYTES);
      out.write(r.getBlob().toByteArray());
      assertThat(r.getRemainingBytes()).isLessThan(lastRemaining);
      lastRemaining = r.getRemainingBytes();
      assertThat(r.getHeader().getMemberId()).isEqualTo(cluster.memberId(0));
      chunks++;
    }
    byte[] bytes = out.toByteArray();
    assertThat(lastRemaining).isZero();
    assertThat(chunks).isGreaterThan(5);
    assertThat(bytes.length % 512).as("etcdctl accepts only size %% 512 == 32").isEqualTo(32);
    assertThat(MessageDigest.getInstance("SHA-256").digest(Arrays.copyOf(bytes, bytes.length - 32)))
        .isEqualTo(Arrays.copyOfRange(bytes, bytes.length - 32, bytes.length));
    Path file = Files.write(dir.resolve("snap.db"), bytes);
    SnapshotRestore.restore(file, dir.resolve("restored"));
    try (MvccStore restored = MvccStore.open(MvccStore.Options.of(dir.resolve("restored")))) {
      assertThat(restored.hashKV(0).getHash()).isEqualTo(hash);
    }
  }

  @Test
  void defragmentShrinksDbSizeAfterDeletesAndCompaction() {
    fill(400, 8000, new Random(4));
    cluster.maintenance(0).defragment(DefragmentRequest.getDefaultInstance());
    long full = cluster.maintenance(0).status(StatusRequest.getDefaultInstance()).getDbSize();
    assertThat(full).isGreaterThan(400L * 8000 / 2);
    long rev = cluster.kv(0).deleteRange(DeleteRangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("k"))
        .setRangeEnd(ByteString.copyFromUtf8("l")).build()).getHeader().getRevision();
    cluster.kv(0).compact(CompactionRequest.newBuilder().setRevision(rev).build());
    var resp = cluster.maintenance(0).defragment(DefragmentRequest.getDefaultInstance());
    assertThat(resp.getHeader().getMemberId()).isEqualTo(cluster.memberId(0));
    var st = cluster.maintenance(0).status(StatusRequest.getDefaultInstance());
    assertThat(st.getDbSize()).isLessThan(full / 10);
    assertThat(st.getDbSizeInUse()).isLessThanOrEqualTo(st.getDbSize());
    assertThat(st.getErrorsList()).isEmpty();
    assertThat(st.getIsLearner()).isFalse();
  }

  @Test
  void aSnapshotOfAClosingMemberFailsCleanly() {
    fill(400, 8000, new Random(5)); // more than gRPC's flow-control windows hold
    Iterator<SnapshotResponse> it = cluster.maintenance(0).snapshot(SnapshotRequest.getDefaultInstance());
    it.next();
    cluster.stop(0);
    assertThatThrownBy(() -> it.forEachRemaining(r -> { })).isInstanceOfSatisfying(StatusRuntimeException.class,
        e -> assertThat(e.getStatus().getCode()).isNotEqualTo(Status.Code.OK));
  }
}
