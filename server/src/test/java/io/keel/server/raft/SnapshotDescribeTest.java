package io.keel.server.raft;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.proto.internal.ClusterStateFile;
import io.keel.proto.peer.SnapshotFile;
import io.keel.proto.peer.SnapshotMeta;
import io.keel.server.peer.SnapshotChecksums;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** describe() reads only table files it has not read before, and never reuses a CRC for a different file. */
class SnapshotDescribeTest {
  @TempDir Path dir;

  private static void write(Path f, String content) throws IOException {
    Files.createDirectories(f.getParent());
    Files.writeString(f, content, StandardCharsets.UTF_8);
  }

  private static void assertTrueChecksums(Path db, SnapshotMeta meta) throws IOException {
    for (SnapshotFile f : meta.getFilesList()) {
      assertThat(f.getCrc32C()).as(f.getName()).isEqualTo(SnapshotChecksums.crc32c(db.resolve(f.getName())));
      assertThat(f.getSizeBytes()).isEqualTo(Files.size(db.resolve(f.getName())));
    }
  }

  @Test
  void tablesSharedByHardLinkAreReadOnceAndADifferentFileUnderAKnownNameIsReadAgain() throws IOException {
    SnapshotStore store = new SnapshotStore(dir.resolve("snap"), new SimpleMeterRegistry());
    Path db1 = dir.resolve("c1");
    write(db1.resolve("000010.sst"), "table ten");
    write(db1.resolve("000011.sst"), "table eleven");
    write(db1.resolve("MANIFEST-000005"), "manifest one");
    SnapshotMeta m1 = store.describe(db1, 10, 2, new byte[0], ClusterStateFile.getDefaultInstance());
    assertTrueChecksums(db1, m1);
    assertThat(store.filesRead()).isEqualTo(3);

    Path db2 = dir.resolve("c2"); // the next checkpoint: the same tables hard-linked, one new table, a new manifest
    Files.createDirectories(db2);
    Files.createLink(db2.resolve("000010.sst"), db1.resolve("000010.sst"));
    Files.createLink(db2.resolve("000011.sst"), db1.resolve("000011.sst"));
    write(db2.resolve("000012.sst"), "table twelve");
    write(db2.resolve("MANIFEST-000005"), "manifest two");
    SnapshotMeta m2 = store.describe(db2, 20, 2, new byte[0], ClusterStateFile.getDefaultInstance());
    assertTrueChecksums(db2, m2);
    assertThat(store.filesRead()).as("only the new table and the manifest are read").isEqualTo(5);

    Path db3 = dir.resolve("c3"); // a restored store: same name and size, other file, other content
    write(db3.resolve("000010.sst"), "TABLE TEN");
    SnapshotMeta m3 = store.describe(db3, 30, 3, new byte[0], ClusterStateFile.getDefaultInstance());
    assertTrueChecksums(db3, m3);
    assertThat(m3.getFiles(0).getCrc32C()).isNotEqualTo(m1.getFiles(0).getCrc32C());
    assertThat(store.filesRead()).isEqualTo(6);
  }
}
