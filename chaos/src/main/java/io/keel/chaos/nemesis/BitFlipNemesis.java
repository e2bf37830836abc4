package io.keel.chaos.nemesis;

import io.keel.chaos.cluster.DockerCluster;
import io.keel.chaos.cluster.MemberTools;
import io.keel.chaos.cluster.Node;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Bit rot: stops one member (kill -9), inverts one random bit of one random file of its write-ahead log or of a
 * snapshot, and starts it again. The member must either refuse to start with an error that names the damaged
 * file, or start (a torn tail repaired, or a bit in unused space) and go on serving without divergent data — the
 * workload's checker judges the latter. A refusing member is healed by putting back the copy of the file taken
 * just before the flip; a member that started keeps its files (restoring an older copy under a running member
 * would roll its durable state back, a fault Raft does not tolerate). The flip itself runs inside the container
 * between incarnations (keel-node-run.sh, keel-fsrevert flip); needs a cluster started with file-system faults.
 */
public final class BitFlipNemesis implements Nemesis {
  /**
   * Offsets are drawn from the first bytes of a file, where a preallocated WAL segment holds records: half the
   * time from the first 64 KiB (header, preamble and the oldest records), else from the first MiB.
   */
  private static final long MAX_OFFSET_BYTES = 1 << 20;
  private static final long HEAD_BYTES = 64 << 10;

  private Node refused;
  private int flips;
  private int refusals;
  private int refusalsNamingTheFile;
  private int acceptances;
  private final List<String> refusalMessages = new ArrayList<>();

  @Override
  public String name() {
    return "bitflip";
  }

  @Override
  public java.util.Set<MemberTools> memberTools() {
    return java.util.Set.of(MemberTools.FS_LEDGER);
  }

  @Override
  public String start(DockerCluster cluster, Random rnd) throws IOException {
    if (refused != null) {
      throw new IllegalStateException("a member still refuses to start: " + refused.name());
    }
    Node n = cluster.nodes().get(rnd.nextInt(cluster.nodes().size()));
    String member = "/data/" + n.name() + "/member";
    String listing = cluster.exec(n, "sh", "-c", "for f in $(find " + member + "/wal " + member + "/snap -type f "
        + "-name '*.wal' -o -type f -path '*/snap/*' 2>/dev/null); do echo \"$(stat -c '%h %s' \"$f\") $f\"; done");
    List<String[]> files = new ArrayList<>();
    for (String line : listing.split("\n")) {
      // "<links> <size> <path>": a snapshot's RocksDB files are hard links to the live store's; damaging those
      // would be damage to the live store, not to the snapshot, so only files with one link are candidates.
      String[] p = line.trim().split(" ", 3);
      if (p.length == 3 && p[0].equals("1") && !p[2].endsWith(".spare") && !p[2].endsWith("/LOCK")
          && Long.parseLong(p[1]) > 0) {
        files.add(new String[] {p[1], p[2]});
      }
    }
    if (files.isEmpty()) {
      throw new IOException(n.name() + " has no WAL segment or snapshot file to damage: " + listing);
    }
    String[] f = files.get(rnd.nextInt(files.size()));
    long size = Long.parseLong(f[0]);
    long offset = (long) (rnd.nextDouble() * Math.min(size, rnd.nextBoolean() ? HEAD_BYTES : MAX_OFFSET_BYTES));
    int bit = rnd.nextInt(8);
    cluster.exec(n, "sh", "-c", "echo '" + f[1] + " " + offset + " " + bit + "' > " + DockerCluster.FS_STATE_DIR
        + "/flip.todo");
    int logStart = cluster.logs(n).length();
    cluster.kill(n);
    flips++;
    String what = "flip bit " + bit + " at " + offset + " of " + f[1] + " (" + size + " bytes) on " + n.name();
    if (cluster.startAndAwait(n)) {
      acceptances++;
      // Started: the member owns the file now; a later start must not put the old copy back.
      cluster.exec(n, "rm", "-f", DockerCluster.FS_STATE_DIR + "/flip.done", DockerCluster.FS_STATE_DIR + "/flip.orig");
      return what + ": member started and serves";
    }
    refused = n;
    refusals++;
    String log = cluster.logs(n);
    String since = log.substring(Math.min(logStart, log.length()));
    String fileName = f[1].substring(f[1].lastIndexOf('/') + 1);
    boolean named = errorLines(since).contains(fileName);
    if (named) {
      refusalsNamingTheFile++;
    }
    String reason = firstErrorLine(since, fileName);
    refusalMessages.add(reason);
    return what + ": member refused to start" + (named ? "" : " WITHOUT NAMING THE FILE") + ": " + reason;
  }

  @Override
  public String stop(DockerCluster cluster) throws IOException {
    if (refused == null) {
      return "nothing to heal";
    }
    Node n = refused;
    cluster.restart(n); // keel-node-run.sh puts the original file back first
    refused = null;
    return "restored the damaged file of " + n.name() + " and restarted it";
  }

  /** The log lines of the failed start that are not the wrapper's own (which name the file anyway). */
  private static String errorLines(String log) {
    StringBuilder b = new StringBuilder();
    for (String line : log.split("\n")) {
      if (!line.startsWith("keel-node-run:")) {
        b.append(line).append('\n');
      }
    }
    return b.toString();
  }

  private static String firstErrorLine(String log, String fileName) {
    String fallback = null;
    for (String line : errorLines(log).split("\n")) {
      if (line.contains(fileName)) {
        return line.trim();
      }
      if (fallback == null && (line.contains("ERROR") || line.contains("Exception"))) {
        fallback = line.trim();
      }
    }
    return fallback != null ? fallback : "(no error line)";
  }

  public int flips() {
    return flips;
  }

  public int refusals() {
    return refusals;
  }

  public int refusalsNamingTheFile() {
    return refusalsNamingTheFile;
  }

  public int acceptances() {
    return acceptances;
  }

  public List<String> refusalMessages() {
    return List.copyOf(refusalMessages);
  }
}
