package io.keel.bench.cli;

import io.keel.bench.load.AsyncOperation;
import io.keel.bench.load.EtcdConnections;
import io.keel.bench.load.KvOperations;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code bench kv txn-put}: etcd's txn-put benchmark (a txn of --txn-ops puts per request). */
@Command(name = "txn-put", mixinStandardHelpOptions = true, description = "Benchmark put through transactions")
public final class TxnPutCommand extends LoadCommand {

  @Mixin
  KeyOptions keys;

  @Option(names = "--txn-ops", defaultValue = "1", description = "Number of puts per txn (default: ${DEFAULT-VALUE})")
  int txnOps;

  @Override
  String name() {
    return "kv txn-put";
  }

  @Override
  AsyncOperation operation(EtcdConnections conns, Map<String, Object> params) {
    keys.addTo(params);
    params.put("txn-ops", txnOps);
    return KvOperations.txnPut(conns, client.clients, keys.generator(), keys.valSize, txnOps, client.conn.requestTimeoutMs);
  }
}
