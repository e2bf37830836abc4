package io.keel.bench.cli;

import com.google.protobuf.ByteString;
import io.keel.bench.load.AsyncOperation;
import io.keel.bench.load.EtcdConnections;
import io.keel.bench.load.KvOperations;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code bench kv range key [end-range]}: etcd's range benchmark. */
@Command(name = "range", mixinStandardHelpOptions = true, description = "Benchmark range")
public final class RangeCommand extends LoadCommand {

  @Parameters(index = "0", paramLabel = "key", description = "Key to range over")
  String key;

  @Parameters(index = "1", arity = "0..1", paramLabel = "end-range", description = "Range end (exclusive)")
  String end;

  @Option(names = "--consistency", defaultValue = "l", description = "Linearizable(l) or Serializable(s) (default: ${DEFAULT-VALUE})")
  String consistency;

  @Override
  String name() {
    return "kv range";
  }

  @Override
  AsyncOperation operation(EtcdConnections conns, Map<String, Object> params) {
    boolean serializable = switch (consistency) {
      case "l" -> false;
      case "s" -> true;
      default -> throw new IllegalArgumentException("--consistency must be l or s, got '" + consistency + "'");
    };
    params.put("key", key);
    params.put("end-range", end == null ? "" : end);
    params.put("consistency", consistency);
    return KvOperations.range(conns, ByteString.copyFromUtf8(key),
        end == null ? ByteString.EMPTY : ByteString.copyFromUtf8(end), serializable, client.conn.requestTimeoutMs);
  }
}
