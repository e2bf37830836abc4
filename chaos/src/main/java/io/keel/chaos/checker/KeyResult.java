package io.keel.chaos.checker;

import io.keel.chaos.history.Operation;
import java.util.List;

/**
 * One key's linearizability result.
 *
 * @param key the key
 * @param verdict VALID, INVALID or UNKNOWN
 * @param operations ok and info operations checked
 * @param steps search steps spent on the whole sub-history
 * @param window for INVALID: the smallest failing window found (ops cut to it: ops reaching outside are
 *     treated as unknown, the state at its start as unknown); empty otherwise
 * @param windowStart first history position of the window
 * @param windowEnd last history position of the window
 */
public record KeyResult(String key, Verdict verdict, int operations, long steps, List<Operation> window,
    int windowStart, int windowEnd) {
  public KeyResult {
    window = List.copyOf(window);
  }
}
