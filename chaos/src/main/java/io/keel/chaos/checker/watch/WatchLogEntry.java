package io.keel.chaos.checker.watch;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * One entry of a watcher's log, in the order the watcher saw things: {@code start} (a watch created from
 * {@code revision}), {@code events} (one WatchResponse's events), {@code progress} (a progress response: every
 * event up to {@code revision} was sent), {@code canceled} (the server canceled the watch; {@code revision} is
 * compact_revision, 0 when not compacted), {@code error} (the stream broke; the watcher resumes), {@code end}
 * (the watcher stopped; {@code revision} is the revision it was asked to reach).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record WatchLogEntry(int watcher, String kind, long timeNanos, long revision, List<WatchEvent> events,
    String detail) {
  public static final List<String> KINDS = List.of("start", "events", "progress", "canceled", "error", "end");

  public WatchLogEntry {
    if (!KINDS.contains(kind)) {
      throw new IllegalArgumentException("watch log kind must be one of " + KINDS + ", got " + kind);
    }
    events = events == null ? null : List.copyOf(events);
    if ("events".equals(kind) && (events == null || events.isEmpty())) {
      throw new IllegalArgumentException("an events entry needs events");
    }
  }
}
