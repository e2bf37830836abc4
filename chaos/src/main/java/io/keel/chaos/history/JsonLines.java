package io.keel.chaos.history;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Saves and loads a history's events as JSON lines (one event per line), bounded by {@link History#MAX_EVENTS};
 * shared by every history format so a bad or huge file fails the same way, with its line number.
 */
public final class JsonLines {
  private static final ObjectMapper JSON = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private JsonLines() {
  }

  /** Writes {@code events} to {@code file}, creating its directory. */
  public static void save(Path file, List<?> events) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (Object e : events) {
        w.write(JSON.writeValueAsString(e));
        w.newLine();
      }
    }
  }

  /** Reads events of {@code type}; a bad line is reported with its line number, {@code what} names the format. */
  public static <E> List<E> load(Path file, Class<E> type, String what) throws IOException {
    List<E> out = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int n = 0;
      while ((line = r.readLine()) != null) {
        n++;
        if (line.isBlank()) {
          continue;
        }
        if (out.size() >= History.MAX_EVENTS) {
          throw new IOException(file + ": more than " + History.MAX_EVENTS + " events");
        }
        try {
          out.add(JSON.readValue(line, type));
        } catch (IOException | RuntimeException e) {
          throw new IOException(file + ":" + n + ": not a " + what + ": " + e.getMessage(), e);
        }
      }
    }
    return out;
  }
}
