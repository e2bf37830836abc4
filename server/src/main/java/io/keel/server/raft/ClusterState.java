package io.keel.server.raft;

import io.keel.proto.internal.ClusterMember;
import io.keel.proto.internal.ClusterStateFile;
import io.keel.proto.internal.MemberAttributes;
import io.keel.raft.ConfChangeType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * What members published through Raft (name, client URLs) and the cluster version. Written by the Raft loop on
 * apply (rare), read by any thread through an immutable snapshot. Kept in a small file replaced atomically
 * (write, fsync, rename), so a restart knows every member's client URLs before anyone republishes.
 * It also holds the Raft group's membership (ids, peer URLs, learners, removed ids), changed only by applied
 * membership entries and carried by snapshots; {@link #onGroupChange} tells the peer transport.
 */
public final class ClusterState {
  private final Path file;
  private volatile ClusterStateFile current;
  private volatile Consumer<Map<Long, ClusterMember>> groupListener = g -> {};

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
      groupListener.accept(group());
    }
  }

  /** Called (on the Raft thread) with the whole group after every change to it. */
  void onGroupChange(Consumer<Map<Long, ClusterMember>> listener) {
    this.groupListener = listener;
  }

  /** The Raft group by member id: peer URLs and learner flag. */
  public Map<Long, ClusterMember> group() {
    Map<Long, ClusterMember> out = new TreeMap<>();
    current.getRaftMembersList().forEach(m -> out.put(m.getId(), m));
    return out;
  }

  public Set<Long> removedIds() {
    return new TreeSet<>(current.getRemovedIdsList());
  }

  /** Index of the last membership entry reflected here. */
  long confIndex() {
    return current.getConfIndex();
  }

  /**
   * Records the group a member starts with when it knows nothing yet: a new cluster's --initial-cluster, or
   * what a joining member learnt from a peer. No-op once any group is known.
   */
  void seedIfEmpty(Collection<ClusterMember> members, Collection<Long> removed) {
    if (current.getRaftMembersCount() == 0 && !members.isEmpty()) {
      save(current.toBuilder().addAllRaftMembers(members).addAllRemovedIds(removed).build());
    }
  }

  /**
   * Applies a committed membership change at {@code index} (a no-op if this state already reflects it, as after a
   * restart that replays the log). An "add" without peer URLs (a bootstrap entry) keeps what is known.
   */
  void applyConfChange(long index, ConfChangeType type, ClusterMember m, boolean promote) {
    if (index <= current.getConfIndex()) {
      return;
    }
    Map<Long, ClusterMember> g = group();
    Set<Long> removed = removedIds();
    ClusterMember known = g.get(m.getId());
    switch (type) {
      case REMOVE_NODE -> {
        g.remove(m.getId());
        removed.add(m.getId());
      }
      case ADD_NODE, ADD_LEARNER_NODE -> {
        ClusterMember.Builder b = (known != null ? known : m).toBuilder()
            .setIsLearner(type == ConfChangeType.ADD_LEARNER_NODE);
        if (!promote && m.getPeerUrlsCount() > 0) {
          b.clearPeerUrls().addAllPeerUrls(m.getPeerUrlsList());
        }
        g.put(m.getId(), b.build());
      }
    }
    List<MemberAttributes> attrs = current.getMembersList().stream()
        .filter(a -> g.containsKey(a.getMemberId())).toList();
    save(current.toBuilder().clearRaftMembers().addAllRaftMembers(g.values()).clearRemovedIds()
        .addAllRemovedIds(removed).clearMembers().addAllMembers(attrs).setConfIndex(index).build());
    groupListener.accept(group());
  }

  /** A member's new peer URLs (etcd's MemberUpdate); unknown ids are ignored (validated before proposing). */
  void updatePeerUrls(ClusterMember m) {
    Map<Long, ClusterMember> g = group();
    ClusterMember known = g.get(m.getId());
    if (known == null || known.getPeerUrlsList().equals(m.getPeerUrlsList())) {
      return;
    }
    g.put(m.getId(), known.toBuilder().clearPeerUrls().addAllPeerUrls(m.getPeerUrlsList()).build());
    save(current.toBuilder().clearRaftMembers().addAllRaftMembers(g.values()).build());
    groupListener.accept(group());
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
