package io.keel.bench.cli;

import io.keel.bench.load.AsyncOperation;
import io.keel.bench.load.EtcdConnections;
import io.keel.bench.load.LeaseKeepAliveOperation;
import java.util.Map;
import picocli.CommandLine.Command;

/** {@code bench kv lease-keepalive}: etcd's lease keep-alive benchmark (one lease per client). */
@Command(name = "lease-keepalive", mixinStandardHelpOptions = true, description = "Benchmark lease keepalive")
public final class LeaseKeepaliveCommand extends LoadCommand {

  @Override
  String name() {
    return "kv lease-keepalive";
  }

  @Override
  AsyncOperation operation(EtcdConnections conns, Map<String, Object> params) {
    return new LeaseKeepAliveOperation(conns, client.clients, client.conn.requestTimeoutMs);
  }
}
