package io.keel.server.peer;

import io.keel.proto.peer.SnapshotMeta;
import java.io.IOException;
import java.nio.file.Path;

/** Where received snapshots go: the member's snapshot store and, once verified, its Raft loop. */
public interface SnapshotSink {
  /** A fresh, empty directory for the files of the snapshot described by {@code meta}. */
  Path prepare(SnapshotMeta meta) throws IOException;

  /**
   * Every file arrived and matched its size and checksum: keep {@code dir} as the snapshot and hand the Raft
   * message (which must describe the same snapshot) to the loop. Throws if either is refused.
   */
  void complete(SnapshotMeta meta, Path dir, byte[] raftMessage) throws IOException;

  /** The transfer failed: drop what was received. */
  void abort(Path dir);
}
