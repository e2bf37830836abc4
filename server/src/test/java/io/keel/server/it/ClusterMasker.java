package io.keel.server.it;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Masks etcdctl output from a {@link ProcessCluster} so two clusters (Keel, real etcd) compare: each member's
 * id (decimal or hex) becomes {@code <member-N>} and its ports {@code <mN-client>}, {@code <mN-peer>},
 * {@code <mN-metrics>}, N being the member's position, so "who leads" and "who answered" are still compared;
 * a scratch directory becomes {@code <dir>}; {@code endpoint health}'s timings become {@code <duration>} and its
 * lines (printed in the order the concurrent checks finish) are sorted. Raft indexes are masked too (unlike
 * for one member): how many entries a 3-member cluster has after start-up depends on timing (members retry
 * publishing their attributes when a proposal times out, in etcd as in Keel), so the test checks them
 * separately. In {@code endpoint status}'s table the version, size, term and index columns are masked as their
 * JSON fields are. Everything else goes through a
 * {@link TranscriptMasker} (cluster ids, terms, db sizes, versions, timestamps, client ids).
 */
final class ClusterMasker {
  private static final Pattern DIGITS = Pattern.compile("(?<![0-9a-f])[0-9a-f]{1,20}(?![0-9a-f])");
  private static final Pattern LOOPBACK_PORT = Pattern.compile("127\\.0\\.0\\.1:(\\d+)");
  private static final Pattern TOOK = Pattern.compile("took = [0-9.]+[a-zµ]+");
  /** etcdctl's own JSON log lines (snapshot save): how long and how large. */
  private static final Pattern LOG_TOOK_SIZE = Pattern.compile("\"(took|size)\":\"[^\"]*\"");
  private static final Pattern LOG_NUMBERS = Pattern.compile("\"(ts|took)\":[0-9.e+-]+");
  private static final Pattern RAFT_INDEX = Pattern.compile("\"(raftIndex|raftAppliedIndex)\":\\d+");
  /** endpoint status as a table: endpoint, id, version, db size, is leader, is learner, term, index, applied. */
  private static final Pattern STATUS_ROW = Pattern.compile(
      "(?m)^(http://\\S+, <member-\\d+>), [^,]+, [^,]+, (true|false), (true|false), \\d+, \\d+, \\d+, ");

  private final Map<String, String> ids = new LinkedHashMap<>();
  private final Map<Integer, String> ports = new LinkedHashMap<>();
  private final String scratchDir;
  private final TranscriptMasker rest = new TranscriptMasker(0, 0, 0);

  /** {@code memberIds[i]} is member i's id; {@code ports} as {@link ProcessCluster#ports()}. */
  ClusterMasker(long[] memberIds, int[] clusterPorts, String scratchDir) {
    for (int i = 0; i < memberIds.length; i++) {
      ids.put(Long.toUnsignedString(memberIds[i]), "<member-" + (i + 1) + ">");
      ids.put(Long.toHexString(memberIds[i]), "<member-" + (i + 1) + ">");
      ports.put(clusterPorts[3 * i], "<m" + (i + 1) + "-client>");
      ports.put(clusterPorts[3 * i + 1], "<m" + (i + 1) + "-peer>");
      ports.put(clusterPorts[3 * i + 2], "<m" + (i + 1) + "-metrics>");
    }
    this.scratchDir = scratchDir;
  }

  String mask(String text) {
    String masked = scratchDir.isEmpty() ? text : text.replace(scratchDir, "<dir>");
    masked = LOOPBACK_PORT.matcher(masked).replaceAll(m -> {
      String name = ports.get(Integer.parseInt(m.group(1)));
      return Matcher.quoteReplacement("127.0.0.1:" + (name != null ? name : m.group(1)));
    });
    masked = DIGITS.matcher(masked).replaceAll(m -> Matcher.quoteReplacement(
        ids.getOrDefault(m.group(), m.group())));
    masked = TOOK.matcher(masked).replaceAll("took = <duration>");
    masked = LOG_TOOK_SIZE.matcher(masked).replaceAll("\"$1\":\"<$1>\"");
    masked = LOG_NUMBERS.matcher(masked).replaceAll("\"$1\":<$1>");
    masked = RAFT_INDEX.matcher(masked).replaceAll("\"$1\":<index>");
    masked = STATUS_ROW.matcher(masked).replaceAll("$1, <version>, <bytes>, $2, $3, <term>, <index>, <index>, ");
    masked = rest.mask(masked);
    return sortHealthLines(masked);
  }

  private static String sortHealthLines(String text) {
    List<String> lines = new ArrayList<>(List.of(text.split("\n")));
    if (lines.isEmpty() || !lines.stream().allMatch(l -> l.contains("is healthy") || l.contains("is unhealthy"))) {
      return text;
    }
    lines.sort(null);
    return String.join("\n", lines) + (text.endsWith("\n") ? "\n" : "");
  }
}
