package io.keel.bench.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code bench}: Keel's load benchmarks ({@code kv ...}) and the Keel-vs-etcd comparison ({@code compare}).
 * Speaks only the etcd v3 gRPC API, so it measures Keel and real etcd the same way. Runs standalone via
 * {@link #main} or as a subcommand of {@code bin/keel}.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Benchmarks over the etcd v3 gRPC API (loopback targets only)",
    subcommands = {KvCommand.class, CompareCommand.class})
public final class BenchCommand implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand");
  }

  public static void main(String[] args) {
    System.setProperty("java.awt.headless", "true");
    LogLevels.quiet();
    System.exit(new CommandLine(new BenchCommand()).execute(args));
  }
}
