package io.keel.server.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.keel.server.it.EtcdProcess;
import io.keel.server.it.Etcdctl;
import io.keel.server.it.KeelProcess;
import io.keel.server.it.ServerFlags;
import io.keel.server.it.ServerProcess;
import io.keel.server.it.TranscriptMasker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * etcdctl 3.4's lease commands get the same answers from Keel (the real launcher) as from real etcd 3.4: grant,
 * put --lease, timetolive (with --keys), list, keep-alive --once, revoke, the errors (revoke of a missing lease,
 * put with an unknown lease, too large TTL), the minimum TTL and expiry. Lease ids are server-chosen, so they are
 * renamed by first appearance ({@code <lease-1>}, ...); the remaining TTL is checked to be in range, then masked.
 *
 * <p>Run alone: {@code mvn -B -pl server -am verify -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false
 * -Dit.test=LeaseEtcdctlIT}. Needs /usr/bin/etcd and /usr/bin/etcdctl 3.4.
 */
class LeaseEtcdctlIT {
  private static final Pattern LEASE_ID = Pattern.compile("\\b[0-9a-f]{16}\\b");
  private static final Pattern REMAINING = Pattern.compile("remaining\\((-?\\d+)s\\)");

  @Test
  void etcdctlLeaseCommandsAnswerAsOnRealEtcd() {
    ServerFlags flags = ServerFlags.named("lease");
    List<String> reference;
    try (EtcdProcess etcd = EtcdProcess.started(flags)) {
      reference = transcript(etcd);
    }
    List<String> keel;
    try (KeelProcess k = KeelProcess.started(flags)) {
      keel = transcript(k);
    }
    assertThat(String.join("\n", keel)).isEqualTo(String.join("\n", reference));
  }

  /** Runs the sequence on one server and returns its masked transcript. */
  private static List<String> transcript(ServerProcess server) {
    Session s = new Session(new Etcdctl(server.clientEndpoint()), TranscriptMasker.forServer(server));
    String id = s.leaseId(s.run("lease", "grant", "60"));
    s.run("put", "--lease=" + id, "k1", "v1");
    s.run("put", "--lease=" + id, "k2", "v2");
    s.run("put", "k3", "no-lease");
    s.run("get", "k", "--prefix", "-w", "json"); // the lease field of each key (ids renamed)
    s.run("lease", "timetolive", id);
    s.run("lease", "timetolive", "--keys", id);
    s.run("lease", "list");
    s.run("lease", "keep-alive", "--once", id);
    s.run("lease", "revoke", id);
    s.run("get", "k", "--prefix", "--keys-only");
    s.run("lease", "revoke", id);
    s.run("lease", "timetolive", id);
    s.run("lease", "keep-alive", "--once", id);
    s.run("put", "--lease=1234abcd", "k4", "v");
    s.run("lease", "grant", "9000000001");
    s.run("lease", "list");
    String shortLease = s.leaseId(s.run("lease", "grant", "1")); // raised to the minimum TTL (2 s by default)
    s.run("put", "--lease=" + shortLease, "k5", "v");
    Etcdctl.Result expired = s.until(r -> r.stdout().isEmpty(), "get", "k5");
    s.out.add("k5 expired: " + expired.stdout().isEmpty());
    s.run("lease", "timetolive", shortLease);
    s.run("lease", "list");
    return s.out;
  }

  private static final class Session {
    final Etcdctl etcdctl;
    final List<String> out = new ArrayList<>();
    final Map<String, String> ids = new LinkedHashMap<>();
    final TranscriptMasker masker;

    Session(Etcdctl etcdctl, TranscriptMasker masker) {
      this.etcdctl = etcdctl;
      this.masker = masker;
    }

    Etcdctl.Result run(String... args) {
      Etcdctl.Result r = etcdctl.run(List.of(args), new byte[0]);
      out.add("$ etcdctl " + mask(String.join(" ", args)));
      out.add("exit " + r.exitCode());
      out.add(mask(r.stdout()).stripTrailing());
      out.add(mask(r.stderr()).stripTrailing());
      return r;
    }

    Etcdctl.Result until(java.util.function.Predicate<Etcdctl.Result> done, String... args) {
      Etcdctl.Result[] last = new Etcdctl.Result[1];
      await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250)).until(() -> {
        last[0] = etcdctl.run(List.of(args), new byte[0]);
        return done.test(last[0]);
      });
      return last[0];
    }

    String leaseId(Etcdctl.Result grant) {
      Matcher m = Pattern.compile("lease ([0-9a-f]+) granted").matcher(grant.stdout());
      assertThat(m.find()).as("grant output: %s", grant.stdout()).isTrue();
      return m.group(1);
    }

    String mask(String text) {
      Matcher rem = REMAINING.matcher(text);
      StringBuilder sb = new StringBuilder();
      while (rem.find()) {
        long left = Long.parseLong(rem.group(1));
        assertThat(left).as("remaining TTL in: %s", text).isBetween(0L, 61L);
        rem.appendReplacement(sb, "remaining(<n>s)");
      }
      rem.appendTail(sb);
      String masked = sb.toString();
      for (Map.Entry<String, String> e : ids.entrySet()) {
        masked = masked.replace(e.getKey(), e.getValue());
      }
      Matcher m = LEASE_ID.matcher(masked);
      sb = new StringBuilder();
      while (m.find()) {
        String name = ids.computeIfAbsent(m.group(), k -> "<lease-" + (ids.size() + 1) + ">");
        m.appendReplacement(sb, name);
      }
      m.appendTail(sb);
      // JSON carries lease ids in decimal: rename the ones we know.
      masked = sb.toString();
      for (Map.Entry<String, String> e : ids.entrySet()) {
        if (!e.getKey().startsWith("<")) {
          masked = masked.replace("\"lease\":" + Long.parseUnsignedLong(e.getKey(), 16), "\"lease\":" + e.getValue());
        }
      }
      return masker.mask(sortAttachedKeys(masked));
    }

    /** etcd lists a lease's attached keys in Go map order (random): compare them as a set. */
    private static String sortAttachedKeys(String text) {
      Matcher m = ATTACHED_KEYS.matcher(text);
      StringBuilder sb = new StringBuilder();
      while (m.find()) {
        List<String> keys = new ArrayList<>(List.of(m.group(1).split(" ")));
        keys.sort(null);
        m.appendReplacement(sb, Matcher.quoteReplacement("attached keys([" + String.join(" ", keys) + "])"));
      }
      m.appendTail(sb);
      return sb.toString();
    }
  }

  private static final Pattern ATTACHED_KEYS = Pattern.compile("attached keys\\(\\[([^\\]]*)\\]\\)");
}
