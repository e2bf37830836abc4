package io.keel.server.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Keel's server as a child JVM: {@code java -jar <keel.server.jar> server <etcd flags>}. The jar comes from
 * the system property {@code keel.server.jar} (failsafe sets it to server/target/keel-server.jar). Extra
 * JVM options can be given with {@code -Dkeel.it.jvmOpts="..."} (space separated). Stop is SIGTERM;
 * {@link #kill9()} then {@link #restart()} reopens the same data dir, for durability tests.
 */
public final class KeelProcess extends ServerProcess {
  /** A JVM start on a loaded 2-core machine can take a while (3 members at once: 55 s seen); still bounded. */
  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
  private static final String DEFAULT_JVM_OPTS = "-Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1";

  private final Path jar;

  public KeelProcess(ServerFlags config) {
    this(config, serverJar());
  }

  /** Checks the jar before the superclass creates the temp data dir, so a bad setup leaks nothing. */
  private KeelProcess(ServerFlags config, Path jar) {
    super("keel", config);
    this.jar = jar;
  }

  private static Path serverJar() {
    String jarProperty = System.getProperty("keel.server.jar");
    if (jarProperty == null || jarProperty.isBlank()) {
      throw new IllegalStateException("system property keel.server.jar is not set; run the ITs through"
          + " failsafe (mvn verify), which points it at server/target/keel-server.jar");
    }
    Path jar = Path.of(jarProperty);
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException("Keel server jar not found: " + jar + " (run mvn package first)");
    }
    return jar;
  }

  /** Creates and starts a Keel server; the caller closes it. */
  public static KeelProcess started(ServerFlags config) {
    KeelProcess keel = new KeelProcess(config);
    try {
      keel.start();
      return keel;
    } catch (RuntimeException | Error e) {
      keel.close();
      throw e;
    }
  }

  @Override
  public String kind() {
    return "keel";
  }

  @Override
  protected List<String> command() {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String opt : System.getProperty("keel.it.jvmOpts", DEFAULT_JVM_OPTS).trim().split("\\s+")) {
      if (!opt.isEmpty()) {
        command.add(opt);
      }
    }
    command.add("-jar");
    command.add(jar.toString());
    command.add("server");
    command.addAll(etcdFlags());
    return command;
  }

  @Override
  protected Duration startTimeout() {
    return START_TIMEOUT;
  }
}
