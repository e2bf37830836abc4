package io.keel.bench.cluster;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real etcd cluster (the reference) of 1..7 members on loopback, each with its own data directory under
 * a base directory. etcd always fsyncs its WAL; there is no switch to turn that off in 3.4.
 */
public final class EtcdCluster extends ProcessCluster {

  /** Default binary location (Debian's etcd-server package). */
  public static final Path DEFAULT_BINARY = Path.of("/usr/bin/etcd");

  private EtcdCluster(Path dir, int size, Path binary, Duration startTimeout) throws IOException {
    super("etcd", dir, size, (m, initialCluster) -> {
      List<String> cmd = new ArrayList<>();
      cmd.add(binary.toString());
      cmd.addAll(etcdFlags(m, initialCluster));
      return cmd;
    }, startTimeout);
  }

  /** Starts {@code size} members with the binary at {@code binary} and waits until a leader is elected. */
  public static EtcdCluster start(Path dir, int size, Path binary) throws IOException {
    return new EtcdCluster(dir, size, binary, Duration.ofSeconds(30));
  }
}
