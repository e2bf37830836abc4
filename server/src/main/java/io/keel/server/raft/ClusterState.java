package io.keel.server.raft;

import io.keel.proto.internal.ClusterStateFile;
import io.keel.proto.internal.MemberAttributes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.TreeMap;

/**
 * What members published through Raft (name, client URLs) and the cluster version. Written by the Raft loop on
 * apply (rare), read by any thread through an immutable snapshot. Kept in a small file replaced atomically
 * (write, fsync, rename), so a restart knows every member's client URLs before anyone republishes.
 */
public final class ClusterState {
  private final Path file;
  private volatile ClusterStateFile current;

  ClusterState(Path file) {
    this.file = file;
    try {
      this.current = Files.exists(file) ? ClusterStateFile.parseFrom(Files.readAllBytes(file))
          : ClusterStateFile.getDefaultInstance();
    } catch (IOException e) {
      throw new UncheckedIOException("unreadable cluster state file " + file, e);
    }
  }

  /** Published attributes by member id. */
  public Map<Long, MemberAttributes> members() {
    Map<Long, MemberAttributes> out = new TreeMap<>();
    current.getMembersList().forEach(m -> out.put(m.getMemberId(), m));
    return out;
  }

  public String clusterVersion() {
    return current.getClusterVersion();
  }

  /** Everything, for a snapshot. */
  ClusterStateFile current() {
    return current;
  }

  /** Replaces everything by a snapshot's (installing a snapshot from the leader). */
  void replace(ClusterStateFile state) {
    if (!state.equals(current)) {
      save(state);
    }
  }

  void publish(MemberAttributes attrs) {
    Map<Long, MemberAttributes> m = members();
    if (attrs.equals(m.get(attrs.getMemberId()))) {
      return;
    }
    m.put(attrs.getMemberId(), attrs);
    save(current.toBuilder().clearMembers().addAllMembers(m.values()).build());
  }

  void setClusterVersion(String version) {
    if (!version.equals(current.getClusterVersion())) {
      save(current.toBuilder().setClusterVersion(version).build());
    }
  }

  private void save(ClusterStateFile next) {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try {
      Files.createDirectories(file.getParent());
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        ch.write(java.nio.ByteBuffer.wrap(next.toByteArray()));
        ch.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write cluster state file " + file, e);
    }
    current = next;
  }
}
