package io.keel.chaos.checker.watch;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Objects;

/**
 * One event a watcher received: a put (with the value written) or a delete of {@code key} at {@code revision}
 * (the kv's mod_revision; for a delete, the revision of the deletion).
 *
 * @param value the put's value (workload values are decimal numbers), null for a delete
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record WatchEvent(String key, String type, long revision, Long value) {
  public static final String PUT = "PUT";
  public static final String DELETE = "DELETE";

  public WatchEvent {
    Objects.requireNonNull(key, "key");
    if (!PUT.equals(type) && !DELETE.equals(type)) {
      throw new IllegalArgumentException("event type must be PUT or DELETE, got " + type);
    }
    if (revision < 1) {
      throw new IllegalArgumentException("event revision must be >= 1, got " + revision);
    }
  }

  public static WatchEvent put(String key, long revision, long value) {
    return new WatchEvent(key, PUT, revision, value);
  }

  public static WatchEvent delete(String key, long revision) {
    return new WatchEvent(key, DELETE, revision, null);
  }

  @Override
  public String toString() {
    return type + " " + key + "@" + revision + (value == null ? "" : "=" + value);
  }
}
