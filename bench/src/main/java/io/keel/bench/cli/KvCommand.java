package io.keel.bench.cli;

import picocli.CommandLine.Command;

/** {@code bench kv}: the etcd-v3-API load benchmarks, modelled on etcd's {@code benchmark} tool. */
@Command(name = "kv", mixinStandardHelpOptions = true,
    description = "KV, watch and lease load benchmarks over the etcd v3 gRPC API",
    subcommands = {PutCommand.class, RangeCommand.class, TxnPutCommand.class, WatchCommand.class,
        WatchLatencyCommand.class, LeaseKeepaliveCommand.class})
public final class KvCommand implements Runnable {

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand");
  }
}
