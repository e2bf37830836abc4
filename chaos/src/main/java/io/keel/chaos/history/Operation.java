package io.keel.chaos.history;

/**
 * An invocation paired with its completion, with both events' positions in the history (their real-time order).
 *
 * @param invokeIndex position of the invocation event
 * @param completeIndex position of the completion, or {@link #NEVER} when the run ended first
 */
public record Operation(int invokeIndex, int completeIndex, Op invoke, Op completion) {
  /** Completion position of an operation that never completed. */
  public static final int NEVER = Integer.MAX_VALUE;

  public Op.Type outcome() {
    return completion.type();
  }

  /** The completion position to order by: an unknown outcome may take effect at any later time. */
  public int effectiveCompleteIndex() {
    return outcome() == Op.Type.INFO ? NEVER : completeIndex;
  }

  public String describe() {
    String res = switch (outcome()) {
      case OK -> "ok";
      case FAIL -> "fail";
      default -> "info";
    };
    StringBuilder b = new StringBuilder("p").append(invoke.process()).append(' ').append(invoke.f());
    if (invoke.key() != null) {
      b.append(' ').append(invoke.key());
    }
    if (invoke.expected() != null) {
      b.append(' ').append(invoke.expected()).append("->").append(invoke.value());
    } else if (invoke.value() != null) {
      b.append(' ').append(invoke.value());
    }
    b.append(" => ").append(res);
    if ("read".equals(invoke.f()) && outcome() == Op.Type.OK) {
      b.append(' ').append(completion.values() != null ? completion.values().toString()
          : completion.value() == null ? "nil" : completion.value().toString());
    }
    if (completion.error() != null && outcome() != Op.Type.OK) {
      b.append(" (").append(completion.error()).append(')');
    }
    b.append("  [").append(invokeIndex).append(", ").append(completeIndex == NEVER ? "∞" : completeIndex)
        .append(']');
    return b.toString();
  }
}
