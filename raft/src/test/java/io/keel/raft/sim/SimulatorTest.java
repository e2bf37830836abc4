package io.keel.raft.sim;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Runs the deterministic simulator over many seeds (each: {@code keel.sim.steps} fault steps, default 2000,
 * then healing with a liveness deadline). {@code -Dkeel.sim.seeds=N} sets how many (the root pom passes
 * 2000), {@code -Dkeel.sim.firstSeed=K} where to start, {@code -Dkeel.sim.seed=S} re-runs exactly one seed.
 */
class SimulatorTest {
    @Test
    void allSeedsAreSafeAndLive() throws Exception {
        String one = System.getProperty("keel.sim.seed");
        int steps = Integer.getInteger("keel.sim.steps", 2000);
        SimOptions opt = SimOptions.defaults().withSteps(steps, 400);
        if (one != null && !one.isBlank()) {
            SimResult r = new Simulator(Long.parseLong(one.trim()), opt).run();
            System.out.println("seed " + one.trim() + " passed: " + r);
            return;
        }
        long seeds = Long.getLong("keel.sim.seeds", 200L);
        long first = Long.getLong("keel.sim.firstSeed", 1L);
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        SimRunner.Summary s = SimRunner.run(first, seeds, threads, opt, 5);
        System.out.println(s + ", " + threads + " threads");
        s.failures().forEach(System.out::println);
        assertThat(s.failures()).as("simulator failures (each names its seed)").isEmpty();
        assertThat(s.steps()).as("every seed ran its fault phase").isGreaterThanOrEqualTo(seeds * steps);
    }
}
