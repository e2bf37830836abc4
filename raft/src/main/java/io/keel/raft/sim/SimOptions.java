package io.keel.raft.sim;

import io.keel.raft.TestingFault;

/**
 * Knobs of one simulation run. {@code faultSteps} steps with faults, then up to {@code healSteps} steps with
 * all faults healed, within which liveness (a leader and new commits) must be observed.
 */
public record SimOptions(int faultSteps, int healSteps, TestingFault testingFault, boolean confChanges) {
    public SimOptions {
        if (faultSteps < 0 || healSteps < 1) {
            throw new IllegalArgumentException("faultSteps must be >= 0 and healSteps >= 1");
        }
        if (testingFault == null) {
            throw new IllegalArgumentException("testingFault must not be null (use NONE)");
        }
    }

    public static SimOptions defaults() {
        return new SimOptions(2000, 400, TestingFault.NONE, true);
    }

    public SimOptions withFault(TestingFault f) {
        return new SimOptions(faultSteps, healSteps, f, confChanges);
    }

    public SimOptions withSteps(int faults, int heal) {
        return new SimOptions(faults, heal, testingFault, confChanges);
    }
}
