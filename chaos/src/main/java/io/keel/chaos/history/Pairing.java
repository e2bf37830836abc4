package io.keel.chaos.history;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;

/**
 * Pairs each invocation of a history with its completion, for every history format ({@link History} of
 * {@link Op}s, the txn history of list-append, the watch and lease histories). Enforces the well-formedness
 * rules the checkers rely on: a process has at most one operation in flight and completes only what it invoked.
 */
public final class Pairing {
  /** Completion position of an invocation that never completed. */
  public static final int NONE = -1;

  /**
   * The pairs, in invocation order.
   *
   * @param invocations positions of the invocations, ascending
   * @param completions for each invocation (same index), the position of its completion or {@link #NONE}
   */
  public record Pairs(List<Integer> invocations, List<Integer> completions) { }

  /** Checks that a completion matches its invocation; throws IllegalArgumentException with the reason. */
  @FunctionalInterface
  public interface Matcher<E> {
    void check(int completionIndex, E invocation, E completion);
  }

  private Pairing() {
  }

  /**
   * Pairs {@code events}, skipping those {@code skip} accepts (e.g. nemesis events).
   *
   * @throws IllegalArgumentException if a process invokes twice without completing, completes nothing, or a
   *     completion does not match its invocation
   */
  public static <E> Pairs pair(List<E> events, ToIntFunction<E> process, Predicate<E> isInvoke, Predicate<E> skip,
      Matcher<E> matcher) {
    Map<Integer, Integer> open = new HashMap<>();
    Map<Integer, Integer> completionOf = new HashMap<>();
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < events.size(); i++) {
      E e = events.get(i);
      if (skip.test(e)) {
        continue;
      }
      int p = process.applyAsInt(e);
      if (isInvoke.test(e)) {
        Integer prev = open.put(p, i);
        if (prev != null) {
          throw new IllegalArgumentException("event " + i + ": process " + p
              + " invokes while its operation at event " + prev + " is still in flight");
        }
        order.add(i);
      } else {
        Integer inv = open.remove(p);
        if (inv == null) {
          throw new IllegalArgumentException("event " + i + ": process " + p + " completes an operation but "
              + "invoked nothing");
        }
        matcher.check(i, events.get(inv), e);
        completionOf.put(inv, i);
      }
    }
    List<Integer> completions = new ArrayList<>(order.size());
    for (int inv : order) {
      completions.add(completionOf.getOrDefault(inv, NONE));
    }
    return new Pairs(List.copyOf(order), completions);
  }
}
