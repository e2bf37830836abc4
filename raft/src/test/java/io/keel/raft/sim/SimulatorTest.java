package io.keel.raft.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Runs the deterministic simulator over many seeds. {@code -Dkeel.sim.seeds=N} sets how many (CI: 2000),
 * {@code -Dkeel.sim.firstSeed=K} where to start, {@code -Dkeel.sim.seed=S} re-runs exactly one seed,
 * {@code -Dkeel.sim.steps=N} the fault-phase steps per seed (default 2000).
 */
class SimulatorTest {
    @Test
    void allSeedsAreSafeAndLive() throws Exception {
        String one = System.getProperty("keel.sim.seed");
        int steps = Integer.getInteger("keel.sim.steps", 2000);
        SimOptions opt = SimOptions.defaults().withSteps(steps, 400);
        if (one != null && !one.isBlank()) {
            SimResult r = new Simulator(Long.parseLong(one.trim()), opt).run();
            System.out.println("seed " + one + " passed: " + r);
            return;
        }
        int seeds = Integer.getInteger("keel.sim.seeds", 200);
        long first = Long.getLong("keel.sim.firstSeed", 1L);
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        AtomicLong totalSteps = new AtomicLong();
        AtomicLong applied = new AtomicLong();
        AtomicLong delivered = new AtomicLong();
        List<Future<?>> futures = new ArrayList<>();
        List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        long t0 = System.nanoTime();
        int chunk = 50;
        for (long s = first; s < first + seeds; s += chunk) {
            long lo = s;
            long hi = Math.min(first + seeds, s + chunk);
            futures.add(pool.submit(() -> {
                for (long seed = lo; seed < hi && failures.size() < 5; seed++) {
                    try {
                        SimResult r = new Simulator(seed, opt).run();
                        totalSteps.addAndGet(r.steps());
                        applied.addAndGet(r.entriesApplied());
                        delivered.addAndGet(r.messagesDelivered());
                    } catch (SimulationFailure f) {
                        failures.add(f.getMessage());
                    }
                }
            }));
        }
        for (Future<?> f : futures) {
            f.get();
        }
        pool.shutdown();
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf("simulator: seeds %d..%d (%d), steps %d, entries applied %d, messages %d, %.1f s, "
                        + "%d threads, failures %d%n", first, first + seeds - 1, seeds, totalSteps.get(), applied.get(),
                delivered.get(), secs, threads, failures.size());
        failures.forEach(System.out::println);
        assertThat(failures).as("simulator failures (each names its seed)").isEmpty();
    }
}
