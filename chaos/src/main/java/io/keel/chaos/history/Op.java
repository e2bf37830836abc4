package io.keel.chaos.history;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Objects;

/**
 * One event of a history, as Jepsen records them: a client process invokes an operation, and later the same
 * process completes it as {@code ok} (it took effect, with this result), {@code fail} (it certainly did not take
 * effect) or {@code info} (unknown: it may or may not have taken effect, e.g. a timeout). The nemesis records
 * its fault starts and stops as {@code info} events of process {@link #NEMESIS}.
 *
 * <p>Register ops: {@code f} is read/write/cas, {@code value} the value written, read (null = key absent) or
 * the cas's new value, {@code expected} the cas's compared value. Set ops: {@code add} of {@code value}, and a
 * final {@code read} whose {@code values} are the set's elements. Values are non-negative.
 *
 * @param process client process id (a process that got an info completion never invokes again)
 * @param type invoke, ok, fail or info
 * @param f operation name
 * @param key register or set key (null for nemesis events)
 * @param value written or read value, or null
 * @param expected compared value of a cas, or null
 * @param values elements returned by a set read, or null
 * @param timeNanos monotonic time relative to the run's start
 * @param error why an op failed or is unknown, or a nemesis event's detail; null otherwise
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Op(int process, Type type, String f, String key, Long value, Long expected, List<Long> values,
    long timeNanos, String error) {

  /** Process id of the nemesis. */
  public static final int NEMESIS = -1;

  /** Event kinds. */
  public enum Type { INVOKE, OK, FAIL, INFO }

  public Op {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(f, "f");
    if (value != null && value < 0) {
      throw new IllegalArgumentException("values must be non-negative, got " + value);
    }
    if (expected != null && expected < 0) {
      throw new IllegalArgumentException("cas expected values must be non-negative, got " + expected);
    }
    values = values == null ? null : List.copyOf(values);
  }

  public static Op invoke(int process, String f, String key, Long value, Long expected) {
    return new Op(process, Type.INVOKE, f, key, value, expected, null, 0, null);
  }

  /** This event with another time stamp. */
  public Op at(long nanos) {
    return new Op(process, type, f, key, value, expected, values, nanos, error);
  }

  /** A completion of this invocation. */
  public Op complete(Type t, Long result, List<Long> resultValues, String why) {
    if (type != Type.INVOKE) {
      throw new IllegalStateException("only an invocation can be completed: " + this);
    }
    if (t == Type.INVOKE) {
      throw new IllegalArgumentException("a completion cannot be an invocation");
    }
    return new Op(process, t, f, key, result, expected, resultValues, 0, why);
  }

  @com.fasterxml.jackson.annotation.JsonIgnore
  public boolean isNemesis() {
    return process == NEMESIS;
  }

  /** Short human form, e.g. "p3 ok cas k1 2->5". */
  public String describe() {
    StringBuilder b = new StringBuilder();
    b.append(isNemesis() ? "nemesis" : "p" + process).append(' ').append(type.name().toLowerCase()).append(' ')
        .append(f);
    if (key != null) {
      b.append(' ').append(key);
    }
    if (expected != null) {
      b.append(' ').append(expected).append("->").append(value == null ? "nil" : value);
    } else if (value != null) {
      b.append(' ').append(value);
    } else if ("read".equals(f) && type == Type.OK && values == null) {
      b.append(" nil");
    }
    if (values != null) {
      b.append(' ').append(values.size() <= 20 ? values.toString() : values.size() + " values");
    }
    if (error != null) {
      b.append(" (").append(error).append(')');
    }
    return b.toString();
  }
}
