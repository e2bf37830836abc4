package io.keel.raft.sim;

/** A safety or liveness violation found by the simulator; the message names the seed to replay. */
public final class SimulationFailure extends RuntimeException {
    private final long seed;

    public SimulationFailure(long seed, String message, Throwable cause) {
        super("seed " + seed + ": " + message + "  (replay: -Dkeel.sim.seed=" + seed + ")", cause);
        this.seed = seed;
    }

    public long seed() {
        return seed;
    }
}
