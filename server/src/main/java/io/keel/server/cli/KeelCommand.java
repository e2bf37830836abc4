package io.keel.server.cli;

import io.keel.bench.cli.BenchCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code bin/keel}: one program, one subcommand per role. */
@Command(name = "keel", mixinStandardHelpOptions = true, versionProvider = KeelCommand.Version.class,
    description = "Keel: a Raft-replicated, etcd-compatible store and control-plane core.",
    subcommands = {ServerCommand.class, DevCommand.class, SnapshotCommand.class, BenchCommand.class,
        CommandLine.HelpCommand.class})
public final class KeelCommand {

  public static void main(String[] args) {
    int code = new CommandLine(new KeelCommand())
        .setExecutionExceptionHandler((ex, cmd, parsed) -> {
          if (ex instanceof IllegalArgumentException) {
            cmd.getErr().println("keel: " + ex.getMessage());
            return 2;
          }
          throw ex;
        })
        .execute(args);
    if (code != 0) {
      System.exit(code);
    }
  }

  /** Reports the build's version from the jar manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = KeelCommand.class.getPackage().getImplementationVersion();
      return new String[] {"keel " + (v == null ? "dev" : v) + " (etcd API 3.4)"};
    }
  }
}
