package io.keel.chaos.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MemberArgsTest {
  private static final List<String> ARGV = List.of("/opt/java/bin/java", "-jar", "/opt/keel/keel-server.jar",
      "server", "--name", "n2", "--data-dir", "/data/n2", "--initial-cluster",
      "n1=http://n1:2380,n2=http://n2:2380,n3=http://n3:2380", "--initial-cluster-state", "new",
      "--heartbeat-interval", "100");

  @Test
  void rejoinReplacesOnlyTheClusterFlags() {
    List<String> r = MemberArgs.rejoin(ARGV, "n1=http://n1:2380,n3=http://n3:2380,n2=http://n2:2380");
    assertThat(r).hasSameSizeAs(ARGV);
    assertThat(r.get(r.indexOf("--initial-cluster") + 1)).isEqualTo("n1=http://n1:2380,n3=http://n3:2380,n2=http://n2:2380");
    assertThat(r.get(r.indexOf("--initial-cluster-state") + 1)).isEqualTo("existing");
    assertThat(r.subList(0, 8)).isEqualTo(ARGV.subList(0, 8));
    assertThat(r.subList(12, 14)).isEqualTo(ARGV.subList(12, 14));
  }

  @Test
  void rejoinRejectsMissingFlagsAndWhitespace() {
    assertThatThrownBy(() -> MemberArgs.rejoin(List.of("server", "--initial-cluster", "a=http://a:1"), "x=http://x:1"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--initial-cluster-state");
    assertThatThrownBy(() -> MemberArgs.rejoin(List.of("server", "--initial-cluster-state"), "x=http://x:1"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MemberArgs.rejoin(ARGV, "n1=http://n1:2380 n2=http://n2:2380"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("whitespace");
    assertThatThrownBy(() -> MemberArgs.argvFile(List.of("a", "")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void initialClusterListsEveryPeerUrlInOrder() {
    String s = MemberArgs.initialCluster(List.of(Map.entry("n1", List.of("http://n1:2380")),
        Map.entry("n3", List.of("http://n3:2380", "http://10.0.0.3:2380")), Map.entry("n2", List.of("http://n2:2380"))));
    assertThat(s).isEqualTo("n1=http://n1:2380,n3=http://n3:2380,n3=http://10.0.0.3:2380,n2=http://n2:2380");
  }

  @Test
  void initialClusterRefusesUnnamedOrUrlLessMembers() {
    assertThatThrownBy(() -> MemberArgs.initialCluster(List.of(Map.entry("", List.of("http://n1:2380")))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("name");
    assertThatThrownBy(() -> MemberArgs.initialCluster(List.of(Map.entry("n1", List.of()))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("peer URL");
    assertThatThrownBy(() -> MemberArgs.initialCluster(List.of(Map.entry("n1", List.of("http://a:1,b=http://b:2")))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MemberArgs.initialCluster(List.of())).isInstanceOf(IllegalArgumentException.class);
  }

  /** The entry-point wrapper, run by the host's /bin/sh with its two request files moved into a temp dir. */
  @Test
  void wrapperExecsItsArgumentsOrTheArgvFileAndWipesOnce(@TempDir Path tmp) throws Exception {
    Path argvFile = tmp.resolve("argv");
    Path wipeFile = tmp.resolve("wipe");
    Path data = Files.createDirectories(tmp.resolve("data/n2/member"));
    Files.writeString(data.resolve("x"), "old");
    String script = MemberArgs.WRAPPER_SCRIPT.replace(MemberArgs.ARGV_FILE, argvFile.toString())
        .replace(MemberArgs.WIPE_FILE, wipeFile.toString());

    assertThat(run(script, "echo", "first")).isEqualTo("first\n");
    assertThat(data).exists();

    Files.writeString(argvFile, MemberArgs.argvFile(List.of("echo", "second", "--initial-cluster-state", "existing")));
    Files.writeString(wipeFile, tmp.resolve("data/n2") + "\n");
    assertThat(run(script, "echo", "first")).endsWith("second --initial-cluster-state existing\n")
        .contains("wiped " + tmp.resolve("data/n2"));
    assertThat(tmp.resolve("data/n2")).doesNotExist();
    assertThat(wipeFile).doesNotExist();

    Files.createDirectories(tmp.resolve("data/n2"));
    assertThat(run(script, "echo", "first")).endsWith("second --initial-cluster-state existing\n")
        .doesNotContain("wiped");
    assertThat(tmp.resolve("data/n2")).exists();
  }

  private static String run(String script, String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("/bin/sh", "-c", script, "keel-member"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }

  @Test
  void wrappedEntrypointPutsTheWrapperFirst() {
    assertThat(MemberArgs.wrappedEntrypoint(List.of("/bin/sh", "/opt/keel/keel-node-run.sh", "server")))
        .containsExactly("/bin/sh", "-c", MemberArgs.WRAPPER_SCRIPT, "keel-member", "/bin/sh",
            "/opt/keel/keel-node-run.sh", "server");
  }
}
