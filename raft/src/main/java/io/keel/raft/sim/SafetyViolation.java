package io.keel.raft.sim;

/** Thrown by {@link SafetyChecker} the moment an invariant breaks. */
public final class SafetyViolation extends RuntimeException {
    public SafetyViolation(String message) {
        super(message);
    }
}
