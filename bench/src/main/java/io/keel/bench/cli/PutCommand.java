package io.keel.bench.cli;

import io.keel.bench.load.AsyncOperation;
import io.keel.bench.load.EtcdConnections;
import io.keel.bench.load.KvOperations;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code bench kv put}: etcd's put benchmark. */
@Command(name = "put", mixinStandardHelpOptions = true, description = "Benchmark put")
public final class PutCommand extends LoadCommand {

  @Mixin
  KeyOptions keys;

  @Override
  String name() {
    return "kv put";
  }

  @Override
  AsyncOperation operation(EtcdConnections conns, Map<String, Object> params) {
    keys.addTo(params);
    return KvOperations.put(conns, client.clients, keys.generator(), keys.valSize, client.conn.requestTimeoutMs);
  }
}
