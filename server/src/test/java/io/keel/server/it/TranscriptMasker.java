package io.keel.server.it;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Masks what legitimately differs between two servers in etcdctl output, and nothing else. Revisions,
 * keys, values, counts, hashes, compact revisions, raft indexes, exit codes and error texts stay as they
 * are. One masker serves one run (one server), because ids and terms are renamed by first appearance:
 * <ul>
 *   <li>cluster ids ({@code cluster_id}) become {@code <cluster-id-N>}, member ids ({@code member_id},
 *       {@code leader}, {@code ID}) become {@code <member-id-N>}, terms ({@code raft_term}, {@code raftTerm})
 *       become {@code <term-N>}. N numbers distinct values in order of appearance, so equalities are kept:
 *       "the leader is the member that answered" and "the term never changed" are still compared;</li>
 *   <li>{@code dbSize}/{@code dbSizeInUse} become {@code <bytes>}; string {@code "version"} fields
 *       become {@code <version>} (the numeric key version is not touched);</li>
 *   <li>this server's own client/peer/metrics ports become {@code <client-port>} etc. (other ports stay);</li>
 *   <li>in etcdctl's client log lines: the timestamp ({@code "ts"}) and the random client id.</li>
 * </ul>
 */
public final class TranscriptMasker {
    private static final Pattern CLUSTER_ID = Pattern.compile("\"(cluster_id)\":(\\d+)");
    private static final Pattern MEMBER_ID = Pattern.compile("\"(member_id|leader|ID)\":(\\d+)");
    private static final Pattern TERM = Pattern.compile("\"(raft_term|raftTerm)\":(\\d+)");
    private static final Pattern DB_SIZE = Pattern.compile("\"(dbSize|dbSizeInUse)\":\\d+");
    private static final Pattern VERSION_STRING = Pattern.compile("\"version\":\"[^\"]*\"");
    private static final Pattern TIMESTAMP = Pattern.compile("\"ts\":\"[^\"]*\"");
    private static final Pattern CLIENT_ID = Pattern.compile(
            "client-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    private static final Pattern LOOPBACK_PORT = Pattern.compile("127\\.0\\.0\\.1:(\\d+)");

    private final Map<String, String> clusterIds = new HashMap<>();
    private final Map<String, String> memberIds = new HashMap<>();
    private final Map<String, String> terms = new HashMap<>();
    private final Map<Integer, String> ports = new LinkedHashMap<>();

    /** A masker for the outputs of one server with these ports (0 = not used). */
    public TranscriptMasker(int clientPort, int peerPort, int metricsPort) {
        if (clientPort > 0) {
            ports.put(clientPort, "<client-port>");
        }
        if (peerPort > 0) {
            ports.put(peerPort, "<peer-port>");
        }
        if (metricsPort > 0) {
            ports.put(metricsPort, "<metrics-port>");
        }
    }

    public static TranscriptMasker forServer(ServerProcess server) {
        return new TranscriptMasker(server.clientPort(), server.peerPort(), 0);
    }

    public String mask(String text) {
        String masked = renameById(text, CLUSTER_ID, clusterIds, "cluster-id");
        masked = renameById(masked, MEMBER_ID, memberIds, "member-id");
        masked = renameById(masked, TERM, terms, "term");
        masked = DB_SIZE.matcher(masked).replaceAll("\"$1\":<bytes>");
        masked = VERSION_STRING.matcher(masked).replaceAll("\"version\":\"<version>\"");
        masked = TIMESTAMP.matcher(masked).replaceAll("\"ts\":\"<timestamp>\"");
        masked = CLIENT_ID.matcher(masked).replaceAll("client-<uuid>");
        return LOOPBACK_PORT.matcher(masked).replaceAll(m -> {
            String name = ports.get(Integer.parseInt(m.group(1)));
            return Matcher.quoteReplacement("127.0.0.1:" + (name != null ? name : m.group(1)));
        });
    }

    private static String renameById(String text, Pattern pattern, Map<String, String> names, String kind) {
        return pattern.matcher(text).replaceAll(m -> {
            String name = names.computeIfAbsent(m.group(2), v -> "<" + kind + "-" + (names.size() + 1) + ">");
            return Matcher.quoteReplacement("\"" + m.group(1) + "\":" + name);
        });
    }
}
