package io.keel.chaos.checker.watch;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.keel.chaos.history.Op;
import java.util.List;
import java.util.Objects;

/**
 * One event of a watch workload's writer history (invoke / ok / fail / info, as {@link Op}): {@code put} of one
 * key, {@code txn} putting several keys in one revision (all with {@code value}), or {@code delete} of one key.
 * An ok completion carries the revision the write made (0 for a delete that deleted nothing).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record WatchWrite(int process, Op.Type type, String f, List<String> keys, long value, long revision,
    long timeNanos, String error) {
  public static final int MAX_KEYS = 64;

  public WatchWrite {
    Objects.requireNonNull(type, "type");
    if (!"put".equals(f) && !"txn".equals(f) && !"delete".equals(f)) {
      throw new IllegalArgumentException("write f must be put, txn or delete, got " + f);
    }
    if (keys == null || keys.isEmpty() || keys.size() > MAX_KEYS) {
      throw new IllegalArgumentException("a write has 1.." + MAX_KEYS + " keys");
    }
    keys = List.copyOf(keys);
  }

  public static WatchWrite invoke(int process, String f, List<String> keys, long value) {
    return new WatchWrite(process, Op.Type.INVOKE, f, keys, value, 0, 0, null);
  }

  public WatchWrite complete(Op.Type t, long rev, String why) {
    if (type != Op.Type.INVOKE || t == Op.Type.INVOKE) {
      throw new IllegalStateException("only an invocation can be completed, by a non-invocation");
    }
    return new WatchWrite(process, t, f, keys, value, rev, 0, why);
  }

  public WatchWrite at(long nanos) {
    return new WatchWrite(process, type, f, keys, value, revision, nanos, error);
  }

  /** The events this write makes at {@code revision}, in order. */
  public List<WatchEvent> events(long rev) {
    return f.equals("delete") ? List.of(WatchEvent.delete(keys.get(0), rev))
        : keys.stream().map(k -> WatchEvent.put(k, rev, value)).toList();
  }
}
