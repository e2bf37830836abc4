package io.keel.chaos.checker;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.chaos.history.Op;
import io.keel.chaos.history.Operation;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The search agrees with a brute-force oracle (every order consistent with real time, every choice of which
 * unknown operations took effect) on thousands of small random register histories, valid and invalid.
 */
class LinearizabilitySearchOracleTest {
  private static final int SEEDS = 4000;

  @Test
  void agreesWithBruteForceOnSmallHistories() {
    int valid = 0;
    int invalid = 0;
    for (int seed = 0; seed < SEEDS; seed++) {
      Random rnd = new Random(seed);
      List<Operation> ops = randomHistory(rnd, 1 + rnd.nextInt(7), rnd.nextBoolean());
      boolean expected = oracle(ops, new ArrayList<>(ops), RegisterModel.ABSENT);
      Verdict got = LinearizabilitySearch.check(ops, RegisterModel.absent(), Budget.standard()).verdict();
      assertThat(got).as("seed %d: %s", seed, ops).isEqualTo(expected ? Verdict.VALID : Verdict.INVALID);
      if (expected) {
        valid++;
      } else {
        invalid++;
      }
    }
    assertThat(valid).as("valid histories generated").isGreaterThan(SEEDS / 5);
    assertThat(invalid).as("invalid histories generated").isGreaterThan(SEEDS / 5);
  }

  @Test
  void tinyBudgetAnswersUnknown() {
    Random rnd = new Random(7);
    List<Operation> ops = randomHistory(rnd, 60, true);
    LinearizabilitySearch.Outcome out = LinearizabilitySearch.check(ops, RegisterModel.absent(),
        Budget.of(5, 1_000, 10_000));
    assertThat(out.verdict()).isEqualTo(Verdict.UNKNOWN);
  }

  /**
   * Ops on one register with random overlapping intervals. When {@code fromModel}, results come from executing
   * the ops at random points inside their intervals (so the history is linearizable), and then one read result
   * is corrupted with probability 1/2; otherwise read results are random.
   */
  static List<Operation> randomHistory(Random rnd, int n, boolean fromModel) {
    List<Integer> tokens = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      tokens.add(i);
      tokens.add(i);
    }
    Collections.shuffle(tokens, rnd);
    int[] inv = new int[n];
    int[] ret = new int[n];
    boolean[] seen = new boolean[n];
    for (int pos = 0; pos < tokens.size(); pos++) {
      int i = tokens.get(pos);
      if (!seen[i]) {
        inv[i] = pos;
        seen[i] = true;
      } else {
        ret[i] = pos;
      }
    }
    String[] fs = new String[n];
    long[] val = new long[n];
    long[] exp = new long[n];
    for (int i = 0; i < n; i++) {
      fs[i] = switch (rnd.nextInt(3)) {
        case 0 -> "read";
        case 1 -> "write";
        default -> "cas";
      };
      val[i] = rnd.nextInt(3);
      exp[i] = rnd.nextInt(3);
    }
    boolean[] info = new boolean[n];
    boolean[] casOk = new boolean[n];
    long[] readResult = new long[n];
    if (fromModel) {
      // Execute in the order of a random point inside each interval.
      double[] point = new double[n];
      Integer[] order = new Integer[n];
      for (int i = 0; i < n; i++) {
        point[i] = inv[i] + rnd.nextDouble() * (ret[i] - inv[i]);
        order[i] = i;
      }
      java.util.Arrays.sort(order, (a, b) -> Double.compare(point[a], point[b]));
      long state = RegisterModel.ABSENT;
      for (int i : order) {
        info[i] = rnd.nextInt(5) == 0;
        boolean applied = !info[i] || rnd.nextBoolean();
        switch (fs[i]) {
          case "read" -> readResult[i] = state;
          case "write" -> state = applied ? val[i] : state;
          default -> {
            casOk[i] = state == exp[i];
            if (casOk[i] && applied) {
              state = val[i];
            }
          }
        }
      }
      if (rnd.nextBoolean()) {
        int i = rnd.nextInt(n);
        readResult[i] = rnd.nextInt(4) - 1;
      }
    } else {
      for (int i = 0; i < n; i++) {
        info[i] = rnd.nextInt(5) == 0;
        readResult[i] = rnd.nextInt(4) - 1;
        casOk[i] = rnd.nextBoolean();
      }
    }
    List<Operation> ops = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Op invoke = switch (fs[i]) {
        case "read" -> Op.invoke(i, "read", "k", null, null);
        case "write" -> Op.invoke(i, "write", "k", val[i], null);
        default -> Op.invoke(i, "cas", "k", val[i], exp[i]);
      };
      if (fs[i].equals("cas") && !casOk[i] && !info[i]) {
        continue; // a failed cas did not happen
      }
      if (fs[i].equals("read") && info[i]) {
        continue; // an unknown read tells nothing
      }
      Op done = info[i] ? invoke.complete(Op.Type.INFO, null, null, "timeout")
          : invoke.complete(Op.Type.OK, fs[i].equals("read")
              ? (readResult[i] < 0 ? null : readResult[i]) : invoke.value(), null, null);
      ops.add(new Operation(inv[i], ret[i], invoke, done));
    }
    return ops;
  }

  /** Brute force: is there an order of the remaining ops, consistent with real time, that the model accepts? */
  static boolean oracle(List<Operation> all, List<Operation> remaining, long state) {
    if (remaining.stream().noneMatch(o -> o.outcome() == Op.Type.OK)) {
      return true;
    }
    Model m = RegisterModel.absent();
    for (Operation o : List.copyOf(remaining)) {
      boolean mustWait = remaining.stream().anyMatch(p -> p != o && p.effectiveCompleteIndex() < o.invokeIndex());
      if (mustWait) {
        continue;
      }
      long next = m.step(state, o);
      if (next == Model.ILLEGAL) {
        continue;
      }
      remaining.remove(o);
      boolean ok = oracle(all, remaining, next);
      remaining.add(o);
      if (ok) {
        return true;
      }
    }
    return false;
  }
}
