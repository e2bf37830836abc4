package io.keel.server.maintenance;

import io.keel.server.MemberCluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.proto.etcdserverpb.RangeResponse;
import io.keel.proto.etcdserverpb.SnapshotRequest;
import io.keel.server.cli.KeelCommand;
import java.io.ByteArrayOutputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The whole etcd disaster-recovery path on Keel: snapshot save from a member, {@code keel snapshot restore} into a
 * new data dir (SHA-256 checked first), a new cluster started from it serves the same keys and revisions.
 */
class SnapshotRestoreCommandTest {
  @TempDir Path dir;

  static int restore(String... args) {
    CommandLine cmd = new CommandLine(new KeelCommand());
    List<Exception> failures = new ArrayList<>();
    cmd.setExecutionExceptionHandler((ex, c, parsed) -> {
      failures.add(ex);
      return 2;
    });
    int code = cmd.execute(args);
    if (!failures.isEmpty()) {
      throw new IllegalStateException(failures.get(0).getMessage(), failures.get(0));
    }
    return code;
  }

  @Test
  void savedSnapshotRestoresIntoANewClusterWithTheSameKeysAndRevisions() throws Exception {
    Path file = dir.resolve("backup.db");
    long revision;
    try (MemberCluster source = MemberCluster.builder(dir.resolve("source"), 1).start()) {
      for (int i = 0; i < 20; i++) {
        source.kv(0).put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("k" + i))
            .setValue(ByteString.copyFromUtf8("v" + i)).build());
      }
      revision = source.kv(0).range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("k0")).build())
          .getHeader().getRevision();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      source.maintenance(0).snapshot(SnapshotRequest.getDefaultInstance())
          .forEachRemaining(r -> out.writeBytes(r.getBlob().toByteArray()));
      Files.write(file, out.toByteArray());
    }

    int peerPort = MemberCluster.freePort();
    String peer = "http://127.0.0.1:" + peerPort;
    Path target = dir.resolve("restored").resolve("m0");
    // MemberCluster names members m0..; restore exactly the data dir and identity it will start.
    assertThat(restore("snapshot", "restore", file.toString(), "--data-dir", target.toString(), "--name", "m0",
        "--initial-cluster", "m0=" + peer, "--initial-advertise-peer-urls", peer, "--initial-cluster-token", "tok"))
        .isZero();
    assertThatThrownBy(() -> restore("snapshot", "restore", file.toString(), "--data-dir", target.toString(),
        "--name", "m0", "--initial-cluster", "m0=" + peer, "--initial-advertise-peer-urls", peer))
        .hasMessage("data-dir \"" + target + "\" exists");

    try (MemberCluster restored = MemberCluster.builder(dir.resolve("restored"), 1).peerPorts(new int[] {peerPort}).start()) {
      RangeResponse r = restored.kv(0).range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("k"))
          .setRangeEnd(ByteString.copyFromUtf8("l")).build());
      assertThat(r.getCount()).isEqualTo(20);
      assertThat(r.getHeader().getRevision()).isEqualTo(revision);
      long next = restored.kv(0).put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("new"))
          .setValue(ByteString.copyFromUtf8("x")).build()).getHeader().getRevision();
      assertThat(next).as("revisions go on from the snapshot's").isEqualTo(revision + 1);
    }
  }

  @Test
  void aCorruptSnapshotIsRefusedAndLeavesNoDataDir() throws Exception {
    Path file = dir.resolve("backup.db");
    try (MemberCluster source = MemberCluster.builder(dir.resolve("source"), 1).start()) {
      source.kv(0).put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("k"))
          .setValue(ByteString.copyFromUtf8("v")).build());
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      source.maintenance(0).snapshot(SnapshotRequest.getDefaultInstance())
          .forEachRemaining(r -> out.writeBytes(r.getBlob().toByteArray()));
      Files.write(file, out.toByteArray());
    }
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(600);
      int b = f.read();
      f.seek(600);
      f.write(b ^ 0x10);
    }
    Path target = dir.resolve("restored");
    assertThatThrownBy(() -> restore("snapshot", "restore", file.toString(), "--data-dir", target.toString(),
        "--name", "a", "--initial-cluster", "a=http://127.0.0.1:1", "--initial-advertise-peer-urls",
        "http://127.0.0.1:1")).hasMessageContaining("failed its SHA-256 check");
    assertThat(target).doesNotExist();
  }
}
