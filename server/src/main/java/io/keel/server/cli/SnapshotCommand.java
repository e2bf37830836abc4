package io.keel.server.cli;

import io.keel.kvstore.SnapshotRestore;
import io.keel.server.ServerConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code keel snapshot restore FILE}: etcdctl's snapshot restore for Keel snapshot files (what {@code etcdctl
 * snapshot save} fetched from a Keel member). Verifies the SHA-256 trailer, then lays down a new member data
 * directory whose store holds the snapshot's keys and revisions; start it with {@code keel server} and the same
 * --name / --initial-cluster / --initial-cluster-token (every member of the new cluster restores the same file).
 */
@Command(name = "snapshot", mixinStandardHelpOptions = true, description = "Restore a snapshot file.",
    subcommands = {SnapshotCommand.Restore.class})
public final class SnapshotCommand {

  /** The restore subcommand. */
  @Command(name = "restore", mixinStandardHelpOptions = true,
      description = "Restore a Keel snapshot file into a new member data directory (as etcdctl snapshot restore).")
  static final class Restore implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE", description = "Snapshot file written by etcdctl snapshot save.")
    Path file;

    @Option(names = "--data-dir", description = "Path to the new data directory (default: ${name}.etcd).")
    Path dataDir;

    @Option(names = "--name", defaultValue = "default", description = "Human-readable name for this member.")
    String name;

    @Option(names = "--initial-cluster",
        description = "Initial cluster configuration for the restored cluster (default: ${name}=<peer URLs>).")
    String initialCluster;

    @Option(names = "--initial-cluster-token", defaultValue = "etcd-cluster",
        description = "Initial cluster token for the restored cluster.")
    String initialClusterToken;

    @Option(names = "--initial-advertise-peer-urls", defaultValue = "http://localhost:2380",
        description = "This member's peer URLs.")
    String initialAdvertisePeerUrls;

    @Override
    public Integer call() throws IOException {
      String cluster = initialCluster != null ? initialCluster : name + "=" + initialAdvertisePeerUrls;
      Map<String, List<URI>> members = ServerConfig.parseInitialCluster(cluster);
      List<URI> peers = ServerConfig.parseUrls("--initial-advertise-peer-urls", initialAdvertisePeerUrls);
      if (!members.containsKey(name)) {
        throw new IllegalArgumentException("--initial-cluster has no member named \"" + name + "\"");
      }
      if (!members.get(name).containsAll(peers)) {
        throw new IllegalArgumentException("--initial-cluster must include " + name + "=" + initialAdvertisePeerUrls);
      }
      Path dir = dataDir != null ? dataDir : Path.of(name + ".etcd");
      if (Files.exists(dir)) {
        throw new IllegalArgumentException("data-dir \"" + dir + "\" exists");
      }
      if (!Files.isRegularFile(file)) {
        throw new IllegalArgumentException("snapshot file " + file + " does not exist");
      }
      Path kvDir = dir.resolve("member").resolve("kv");
      SnapshotRestore.Result r;
      try {
        r = SnapshotRestore.restore(file, kvDir);
      } catch (IOException e) {
        deleteQuietly(dir);
        throw new IllegalArgumentException(e.getMessage(), e);
      }
      System.out.printf("restored snapshot %s into %s: revision %d, compact revision %d, %d records; start it with "
          + "keel server --name %s --data-dir %s --initial-cluster %s --initial-cluster-token %s%n", file, dir,
          r.revision(), r.compactRevision(), r.records(), name, dir, cluster, initialClusterToken);
      return 0;
    }

    private static void deleteQuietly(Path dir) {
      try (var s = Files.walk(dir)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException ignored) {
        // best effort: the error that brought us here is what the user needs to see
      }
    }
  }
}
