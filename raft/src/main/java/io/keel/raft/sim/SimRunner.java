package io.keel.raft.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs a range of simulator seeds on a thread pool and prints a summary line; used by tests and for long
 * background runs: {@code java -cp ... io.keel.raft.sim.SimRunner firstSeed count [threads] [steps]}.
 */
public final class SimRunner {
    /** Totals of a batch of seeds; failures hold the messages (each names its seed). */
    public record Summary(long firstSeed, long seeds, long steps, long applied, long delivered, long crashes,
                          long confChanges, long reads, long snapshots, double seconds, List<String> failures) {
        @Override
        public String toString() {
            return String.format("simulator: seeds %d..%d (%d), steps %d, entries applied %d, messages %d, "
                            + "crashes %d, conf changes %d, reads checked %d, snapshots %d, %.1f s, failures %d",
                    firstSeed, firstSeed + seeds - 1, seeds, steps, applied, delivered, crashes, confChanges, reads,
                    snapshots, seconds, failures.size());
        }
    }

    private SimRunner() {
    }

    public static Summary run(long first, long seeds, int threads, SimOptions opt, int maxFailures)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        AtomicLong steps = new AtomicLong();
        AtomicLong applied = new AtomicLong();
        AtomicLong delivered = new AtomicLong();
        AtomicLong crashes = new AtomicLong();
        AtomicLong conf = new AtomicLong();
        AtomicLong reads = new AtomicLong();
        AtomicLong snaps = new AtomicLong();
        List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Future<?>> futures = new ArrayList<>();
        long t0 = System.nanoTime();
        long chunk = 25;
        try {
            for (long s = first; s < first + seeds; s += chunk) {
                long lo = s;
                long hi = Math.min(first + seeds, s + chunk);
                futures.add(pool.submit(() -> {
                    for (long seed = lo; seed < hi && failures.size() < maxFailures; seed++) {
                        try {
                            SimResult r = new Simulator(seed, opt).run();
                            steps.addAndGet(r.steps());
                            applied.addAndGet(r.entriesApplied());
                            delivered.addAndGet(r.messagesDelivered());
                            crashes.addAndGet(r.crashes());
                            conf.addAndGet(r.confChangesApplied());
                            reads.addAndGet(r.readsChecked());
                            snaps.addAndGet(r.snapshotsInstalled());
                        } catch (SimulationFailure f) {
                            failures.add(f.getMessage());
                        }
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        return new Summary(first, seeds, steps.get(), applied.get(), delivered.get(), crashes.get(), conf.get(),
                reads.get(), snaps.get(), (System.nanoTime() - t0) / 1e9, List.copyOf(failures));
    }

    public static void main(String[] args) throws Exception {
        long first = args.length > 0 ? Long.parseLong(args[0]) : 1;
        long count = args.length > 1 ? Long.parseLong(args[1]) : 1000;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : Runtime.getRuntime().availableProcessors();
        int steps = args.length > 3 ? Integer.parseInt(args[3]) : 2000;
        Summary s = run(first, count, threads, SimOptions.defaults().withSteps(steps, 400), 10);
        System.out.println(s);
        s.failures().forEach(System.out::println);
        System.exit(s.failures().isEmpty() ? 0 : 1);
    }
}
