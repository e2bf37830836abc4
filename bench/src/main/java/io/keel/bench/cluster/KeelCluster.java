package io.keel.bench.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A Keel cluster of 1..7 members on loopback: {@code java <jvmOptions> -jar <server jar> server <etcd's flags>},
 * each member with its own data directory. Keel's server takes etcd's flag names, so the same layout and
 * flags as {@link EtcdCluster} are used.
 */
public final class KeelCluster extends ProcessCluster {

  /** Default server jar location relative to the repository root. */
  public static final Path DEFAULT_JAR = Path.of("server/target/keel-server.jar");

  private KeelCluster(Path dir, int size, Path java, Path jar, List<String> jvmOptions, Duration startTimeout)
      throws IOException {
    super("keel", dir, size, (m, initialCluster) -> {
      List<String> cmd = new ArrayList<>();
      cmd.add(java.toString());
      cmd.addAll(jvmOptions);
      cmd.add("-jar");
      cmd.add(jar.toString());
      cmd.add("server");
      cmd.addAll(etcdFlags(m, initialCluster));
      return cmd;
    }, startTimeout);
  }

  /**
   * Starts {@code size} members from {@code jar} with the current JVM's java binary and waits for a leader.
   *
   * @throws IOException also when the jar does not exist (with a hint how to build it)
   */
  public static KeelCluster start(Path dir, int size, Path jar, List<String> jvmOptions) throws IOException {
    if (!Files.isRegularFile(jar)) {
      throw new IOException("Keel server jar not found: " + jar.toAbsolutePath()
          + " (build it with: mvn -B -q -DskipTests -pl server -am package)");
    }
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    return new KeelCluster(dir, size, java, jar.toAbsolutePath(), List.copyOf(jvmOptions), Duration.ofSeconds(60));
  }
}
