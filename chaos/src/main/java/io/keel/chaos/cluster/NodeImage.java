package io.keel.chaos.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Finds the Keel project root and builds (or reuses) the node image with scripts/build-node-image.sh, which
 * prints the image name. No registry is reachable, so the image is always built locally.
 */
public final class NodeImage {
  private static final long BUILD_TIMEOUT_SEC = 600;

  private NodeImage() {
  }

  /** The project root: system property keel.home, else the first parent of the working dir with scripts/. */
  public static Path projectRoot() {
    String home = System.getProperty("keel.home");
    if (home != null) {
      return Path.of(home).toAbsolutePath().normalize();
    }
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isExecutable(p.resolve("scripts/build-node-image.sh"))) {
        return p;
      }
    }
    throw new IllegalStateException("cannot find the Keel project root (scripts/build-node-image.sh); set -Dkeel.home");
  }

  /** Runs the build script and returns the image name it prints. */
  public static String build(Path root) throws IOException, InterruptedException {
    Path script = root.resolve("scripts/build-node-image.sh");
    Path log = Files.createTempFile("keel-node-image", ".log");
    Process p = new ProcessBuilder(script.toString()).directory(root.toFile())
        .redirectError(log.toFile()).start();
    String out;
    try (var in = p.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
    }
    if (!p.waitFor(BUILD_TIMEOUT_SEC, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException(script + " did not finish in " + BUILD_TIMEOUT_SEC + " s; see " + log);
    }
    if (p.exitValue() != 0 || out.isEmpty()) {
      throw new IOException(script + " failed (exit " + p.exitValue() + "): "
          + Files.readString(log, StandardCharsets.UTF_8));
    }
    String[] lines = out.split("\n");
    return lines[lines.length - 1].trim();
  }
}
