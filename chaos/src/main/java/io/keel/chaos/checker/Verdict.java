package io.keel.chaos.checker;

/** A checker's answer. UNKNOWN means the search ran out of budget: neither proof nor refutation. */
public enum Verdict {
  VALID, INVALID, UNKNOWN;

  /** Combines per-part verdicts: any INVALID wins, then any UNKNOWN. */
  public Verdict and(Verdict other) {
    if (this == INVALID || other == INVALID) {
      return INVALID;
    }
    return this == UNKNOWN || other == UNKNOWN ? UNKNOWN : VALID;
  }
}
