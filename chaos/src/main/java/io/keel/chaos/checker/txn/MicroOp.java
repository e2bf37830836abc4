package io.keel.chaos.checker.txn;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Objects;

/**
 * One micro-operation of a list-append transaction, as Elle writes them: {@code [:append k x]} appends the
 * unique value {@code x} to the list at key {@code k}; {@code [:r k v]} reads that list ({@code read} is null in
 * an invocation or an unknown completion, the observed list in an ok completion; an absent key reads as empty).
 *
 * @param f "r" or "append"
 * @param key the list's key
 * @param value the appended value (appends only)
 * @param read the observed list (reads of ok completions only)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonAutoDetect(isGetterVisibility = JsonAutoDetect.Visibility.NONE)
public record MicroOp(String f, String key, Long value, List<Long> read) {
  /** Read micro-op name. */
  public static final String READ = "r";
  /** Append micro-op name. */
  public static final String APPEND = "append";

  public MicroOp {
    Objects.requireNonNull(key, "key");
    if (READ.equals(f)) {
      if (value != null) {
        throw new IllegalArgumentException("a read has no value: " + key);
      }
    } else if (APPEND.equals(f)) {
      if (value == null || value < 0) {
        throw new IllegalArgumentException("an append needs a non-negative value: " + key + " " + value);
      }
      if (read != null) {
        throw new IllegalArgumentException("an append has no read result: " + key);
      }
    } else {
      throw new IllegalArgumentException("micro-op must be 'r' or 'append', got " + f);
    }
    read = read == null ? null : List.copyOf(read);
  }

  public static MicroOp read(String key) {
    return new MicroOp(READ, key, null, null);
  }

  public static MicroOp read(String key, List<Long> observed) {
    return new MicroOp(READ, key, null, observed);
  }

  public static MicroOp append(String key, long value) {
    return new MicroOp(APPEND, key, value, null);
  }

  public boolean isRead() {
    return READ.equals(f);
  }

  public boolean isAppend() {
    return APPEND.equals(f);
  }

  /** This read with its observed list. */
  public MicroOp withRead(List<Long> observed) {
    if (!isRead()) {
      throw new IllegalStateException("only a read observes a list");
    }
    return new MicroOp(READ, key, null, observed);
  }

  @Override
  public String toString() {
    return isRead() ? "[r " + key + " " + (read == null ? "?" : read) + "]" : "[append " + key + " " + value + "]";
  }
}
