package io.keel.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The real launcher once: {@code bin/keel dev} starts three members on 127.0.0.1:2379/22379/32379, and real
 * etcdctl reaches all three (endpoint status: three members, one agreed leader; a put through one member
 * is read linearizably through each of them). Uses etcd's fixed dev ports, so it fails with a clear message
 * if something else holds them (e.g. a dev cluster left running).
 */
class KeelDevLauncherIT {
  private static final int[] DEV_PORTS = {2379, 2380, 2381, 22379, 22380, 22381, 32379, 32380, 32381};
  private static final String ENDPOINTS = "127.0.0.1:2379,127.0.0.1:22379,127.0.0.1:32379";
  private static final long UP_TIMEOUT_MS = 120_000;
  private static final Pattern LEADER = Pattern.compile("\"leader\":(\\d+)");

  @Test
  void binKeelDevServesEtcdctlOnAllThreeMembers() throws Exception {
    assertDevPortsFree();
    Path home = Path.of(System.getProperty("keel.home", "..")).toAbsolutePath().normalize();
    Path launcher = home.resolve("bin").resolve("keel");
    assertThat(Files.isExecutable(launcher)).as("launcher %s", launcher).isTrue();
    Path dataDir = Files.createTempDirectory("keel-it-dev-");
    Path log = Path.of("target", "it-logs", "keel-dev.log").toAbsolutePath();
    Files.createDirectories(log.getParent());
    ProcessBuilder builder = new ProcessBuilder(launcher.toString(), "dev", "--data-dir", dataDir.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    builder.environment().put("KEEL_JAVA_OPTS", "-Xmx768m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
    Process dev = builder.start();
    try {
      // the banner's last line: the log file may be read while the banner is half written
      awaitLogLine(dev, log, "Press Ctrl-C to stop.");
      assertThat(Files.readString(log)).contains(ENDPOINTS.replace(",", ", "));

      Etcdctl all = new Etcdctl(ENDPOINTS);
      Etcdctl.Result status = awaitAgreedLeader(all);
      Matcher leaders = LEADER.matcher(status.stdout());
      List<String> seen = new ArrayList<>();
      while (leaders.find()) {
        seen.add(leaders.group(1));
      }
      assertThat(seen).as("leader as each of the three members reports it: %s", status.stdout()).hasSize(3)
          .doesNotContain("0");
      assertThat(seen.stream().distinct().count()).as("one agreed leader").isEqualTo(1);

      Etcdctl.Result put = new Etcdctl("127.0.0.1:22379").run(List.of("put", "dev-key", "dev-value"), new byte[0]);
      assertThat(put.exitCode()).as("put via member 2: %s", put).isZero();
      for (String endpoint : ENDPOINTS.split(",")) {
        Etcdctl.Result get = new Etcdctl(endpoint).run(List.of("get", "dev-key", "--print-value-only"),
            new byte[0]);
        assertThat(get.exitCode()).as("get via %s: %s", endpoint, get).isZero();
        assertThat(get.stdout()).as("linearizable get via %s", endpoint).isEqualTo("dev-value\n");
      }
    } finally {
      dev.destroy(); // SIGTERM: the launcher closes all three members
      if (!dev.waitFor(30, TimeUnit.SECONDS)) {
        dev.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      ServerProcess.deleteRecursively(dataDir);
    }
    assertThat(dev.exitValue()).as("bin/keel dev exit code after SIGTERM").isIn(0, 143);
  }

  private static Etcdctl.Result awaitAgreedLeader(Etcdctl etcdctl) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    Etcdctl.Result last;
    do {
      last = etcdctl.run(List.of("endpoint", "status", "-w", "json"), new byte[0]);
      Matcher m = LEADER.matcher(last.stdout());
      List<String> leaders = new ArrayList<>();
      while (m.find()) {
        leaders.add(m.group(1));
      }
      if (last.exitCode() == 0 && leaders.size() == 3 && !leaders.contains("0")
          && leaders.stream().distinct().count() == 1) {
        return last;
      }
      ProcessCluster.sleepMillis(200);
    } while (System.nanoTime() - deadline < 0);
    return last;
  }

  private static void awaitLogLine(Process dev, Path log, String line) throws IOException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(UP_TIMEOUT_MS);
    while (System.nanoTime() - deadline < 0) {
      String text = Files.readString(log, StandardCharsets.UTF_8);
      if (text.contains(line)) {
        return;
      }
      if (!dev.isAlive()) {
        throw new AssertionError("bin/keel dev exited with " + dev.exitValue() + " before '" + line + "':\n"
            + text);
      }
      ProcessCluster.sleepMillis(200);
    }
    throw new AssertionError("no '" + line + "' from bin/keel dev within " + UP_TIMEOUT_MS + " ms:\n"
        + Files.readString(log, StandardCharsets.UTF_8));
  }

  private static void assertDevPortsFree() {
    for (int port : DEV_PORTS) {
      try (ServerSocket socket = new ServerSocket()) {
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      } catch (IOException e) {
        throw new AssertionError("bin/keel dev needs 127.0.0.1:" + port + " but it is taken (another dev"
            + " cluster or etcd running?): " + e.getMessage());
      }
    }
  }
}
