package io.keel.raft.sim;

import io.keel.raft.ConfChange;
import io.keel.raft.ConfChangeSingle;
import io.keel.raft.ConfChangeTransition;
import io.keel.raft.ConfChangeType;
import io.keel.raft.ConfState;
import io.keel.raft.Config;
import io.keel.raft.Entry;
import io.keel.raft.EntryType;
import io.keel.raft.HardState;
import io.keel.raft.MemoryStorage;
import io.keel.raft.Message;
import io.keel.raft.MessageType;
import io.keel.raft.ProposalDroppedException;
import io.keel.raft.RaftException;
import io.keel.raft.RaftNode;
import io.keel.raft.ReadState;
import io.keel.raft.Ready;
import io.keel.raft.Snapshot;
import io.keel.raft.SnapshotMetadata;
import io.keel.raft.StateRole;
import io.keel.raft.codec.RaftCodec;
import io.keel.raft.confchange.ConfChangeException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Deterministic Raft cluster simulator: N nodes on one thread, one seed for everything (a single
 * SplittableRandom), a simulated clock of steps (one tick per node per step). Injects drop, delay, duplicate,
 * reorder, symmetric/asymmetric/flapping partial partitions, crash/restart (losing whatever was not persisted
 * per the Ready contract), leadership transfers, reads and membership changes; checks safety after every
 * Ready and liveness after healing. Lives in src/main so the JMH benchmark and tests can both use it.
 */
public final class Simulator {
    private static final int TRACE = 64;

    private final long seed;
    private final SimOptions opt;
    private final SplittableRandom rnd;
    private final int voters;
    private final int total;
    private final SimNode[] nodes;
    private final SimNetwork net;
    private final SafetyChecker checker = new SafetyChecker();
    private final boolean preVote;
    private final boolean checkQuorum;
    private final Map<ByteBuffer, Long> pendingReads = new HashMap<>();
    private final List<long[]> snapshotReports = new ArrayList<>(); // {leader, follower}
    private final ArrayDeque<Object> trace = new ArrayDeque<>();
    private long now;
    private long counter;
    private int flapNode = -1;
    private int flapPeriod;
    private long delivered;
    private long leaders;
    private long crashes;
    private long confChanges;
    private long reads;
    private long snapshots;

    public Simulator(long seed, SimOptions opt) {
        this.seed = seed;
        this.opt = opt;
        this.rnd = new SplittableRandom(seed);
        this.voters = rnd.nextBoolean() ? 3 : 5;
        this.total = opt.confChanges() ? voters + 2 : voters;
        this.preVote = rnd.nextInt(4) != 0;
        this.checkQuorum = rnd.nextInt(4) != 0;
        this.net = new SimNetwork(total, rnd, 20_000);
        this.nodes = new SimNode[total + 1];
        long[] ids = new long[voters];
        for (int i = 0; i < voters; i++) {
            ids[i] = i + 1;
        }
        ConfState initial = ConfState.ofVoters(ids);
        Entry boot = new Entry(1, 1, EntryType.NORMAL, null);
        for (int i = 1; i <= total; i++) {
            MemoryStorage disk = new MemoryStorage();
            ConfState cs = ConfState.EMPTY;
            if (i <= voters) {
                cs = initial;
                disk.applySnapshot(new Snapshot(new SnapshotMetadata(initial, 1, 1), snapData(1, SafetyChecker.chain(0, 1, SafetyChecker.hash(boot.data())))));
                disk.setHardState(new HardState(1, 0, 1));
            }
            Config cfg = Config.builder(i).electionTick(10).heartbeatTick(2).maxSizePerMsgBytes(64 + rnd.nextInt(512))
                    .maxInflightMsgs(1 + rnd.nextInt(8)).maxInflightBytes(2048).maxUncommittedEntriesBytes(2048)
                    .preVote(preVote).checkQuorum(checkQuorum).randomSeed(rnd.nextLong())
                    .maxCommittedSizePerReadyBytes(256 + rnd.nextInt(4096)).testingFault(opt.testingFault()).build();
            nodes[i] = new SimNode(i, disk, cfg, cs);
        }
        checker.onApply(0, boot, 1); // the bootstrap entry every voter starts from
        for (int i = 1; i <= total; i++) {
            start(nodes[i]);
        }
    }

    private static byte[] snapData(long index, long chain) {
        return ByteBuffer.allocate(16).putLong(index).putLong(chain).array();
    }

    private void start(SimNode n) {
        Snapshot s = n.disk.snapshot();
        n.raft = new RaftNode(n.config.toBuilder().applied(s.metadata().index()).build(), n.disk);
        n.appliedIndex = s.metadata().index();
        n.appliedChain = s.isEmpty() ? 0 : ByteBuffer.wrap(s.data()).getLong(8);
        n.conf = s.metadata().confState();
        n.persistedCommit = n.disk.hardState().commit();
        n.wasLeader = false;
    }

    /** Runs the whole scenario; throws {@link SimulationFailure} (naming the seed) on any violation. */
    public SimResult run() {
        try {
            for (int step = 0; step < opt.faultSteps(); step++) {
                injectFaults(step);
                step(true);
            }
            heal();
            long base = checker.appliedSize();
            for (int step = 0; step < opt.healSteps(); step++) {
                step(false);
                if (hasLeader() && checker.appliedSize() > base + 1) {
                    return new SimResult(seed, total, opt.faultSteps() + step + 1L, delivered, checker.appliedSize(),
                            leaders, crashes, confChanges, reads, snapshots);
                }
            }
            throw new SafetyViolation("liveness: no leader with new commits within " + opt.healSteps()
                    + " steps after healing (applied " + base + " -> " + checker.appliedSize() + ", leader "
                    + hasLeader() + ")");
        } catch (SafetyViolation | RaftException | IllegalStateException | IllegalArgumentException e) {
            throw new SimulationFailure(seed, e.getMessage() + "\n" + describe(), e);
        }
    }

    private boolean hasLeader() {
        for (int i = 1; i <= total; i++) {
            if (nodes[i].up() && nodes[i].wasLeader) {
                return true;
            }
        }
        return false;
    }

    private String describe() {
        StringBuilder sb = new StringBuilder("cluster: voters=" + voters + " total=" + total + " preVote=" + preVote
                + " checkQuorum=" + checkQuorum + " time=" + now + "\n");
        for (int i = 1; i <= total; i++) {
            SimNode n = nodes[i];
            sb.append("  node ").append(i).append(n.up() ? " " + n.raft.status() : " DOWN").append(" disk=[")
                    .append(n.disk.firstIndex()).append(",").append(n.disk.lastIndex()).append("] ")
                    .append(n.disk.hardState()).append('\n');
        }
        sb.append("last events:\n");
        for (Object o : trace) {
            sb.append("  ").append(o).append('\n');
        }
        return sb.toString();
    }

    private void trace(Object o) {
        if (trace.size() == TRACE) {
            trace.pollFirst();
        }
        trace.addLast(o);
    }

    // ---- one step -----------------------------------------------------------------------------------

    private void step(boolean faults) {
        now++;
        for (int i = 1; i <= total; i++) {
            SimNode n = nodes[i];
            if (!n.up() && n.downUntilStep >= 0 && now >= n.downUntilStep) {
                n.downUntilStep = -1;
                start(n);
                trace("t" + now + " restart " + i);
            }
        }
        for (long[] rep : snapshotReports) {
            SimNode l = nodes[(int) rep[0]];
            if (l.up()) {
                l.raft.reportSnapshot(rep[1], false);
            }
        }
        snapshotReports.clear();
        Message m;
        while ((m = net.poll(now)) != null) {
            SimNode to = nodes[(int) m.to()];
            if (!to.up()) {
                continue;
            }
            delivered++;
            trace(m);
            to.raft.step(m);
            drain(to);
        }
        for (int i = 1; i <= total; i++) {
            if (nodes[i].up()) {
                nodes[i].raft.tick();
            }
        }
        clientActions(faults);
        for (int i = 1; i <= total; i++) {
            if (nodes[i].up()) {
                drain(nodes[i]);
                maybeCompact(nodes[i]);
            }
        }
    }

    private void clientActions(boolean faults) {
        SimNode n = nodes[1 + rnd.nextInt(total)];
        if (!n.up()) {
            return;
        }
        int r = rnd.nextInt(1000);
        try {
            if (r < 60) { // a batch of proposals in one message, as a server's loop proposes a turn's requests
                int size = 2 + rnd.nextInt(4);
                List<byte[]> batch = new ArrayList<>(size);
                for (int i = 0; i < size; i++) {
                    batch.add(proposalData());
                }
                n.raft.propose(batch);
            } else if (r < 300) {
                n.raft.propose(proposalData());
            } else if (r < 340) {
                byte[] ctx = ByteBuffer.allocate(8).putLong(++counter).array();
                pendingReads.put(ByteBuffer.wrap(ctx), checker.appliedSize());
                n.raft.readIndex(ctx);
            } else if (r < 343 && faults && n.wasLeader) {
                long to = n.conf.voters().get(rnd.nextInt(n.conf.voters().size()));
                trace("t" + now + " transfer " + n.id + "->" + to);
                n.raft.transferLeadership(to);
            } else if (r < 350 && faults && opt.confChanges() && n.wasLeader) {
                proposeConfChange(n);
            }
        } catch (ProposalDroppedException e) {
            // expected while there is no leader, during transfers, or when over the uncommitted budget
        }
    }

    private byte[] proposalData() {
        byte[] data = new byte[8 + rnd.nextInt(56)];
        rnd.nextBytes(data);
        ByteBuffer.wrap(data).putLong(++counter);
        return data;
    }

    private void proposeConfChange(SimNode leader) {
        ConfState cs = leader.conf;
        ConfChange cc;
        if (!cs.votersOutgoing().isEmpty()) {
            if (cs.autoLeave()) {
                return;
            }
            cc = ConfChange.leaveJoint();
        } else {
            List<Long> outside = new ArrayList<>();
            for (long id = 1; id <= total; id++) {
                if (!cs.voters().contains(id) && !cs.learners().contains(id)) {
                    outside.add(id);
                }
            }
            int op = rnd.nextInt(4);
            if (op == 0 && !outside.isEmpty()) {
                cc = ConfChange.of(ConfChangeType.ADD_LEARNER_NODE, outside.get(rnd.nextInt(outside.size())));
            } else if (op == 1 && !cs.learners().isEmpty()) {
                cc = ConfChange.of(ConfChangeType.ADD_NODE, cs.learners().get(rnd.nextInt(cs.learners().size())));
            } else if (op == 2 && cs.voters().size() > 3) {
                long v = cs.voters().get(rnd.nextInt(cs.voters().size()));
                cc = ConfChange.of(rnd.nextBoolean() ? ConfChangeType.REMOVE_NODE : ConfChangeType.ADD_LEARNER_NODE, v);
            } else if (op == 3 && !cs.learners().isEmpty()) {
                long in = cs.learners().get(rnd.nextInt(cs.learners().size()));
                long out = cs.voters().get(rnd.nextInt(cs.voters().size()));
                ConfChangeTransition t = ConfChangeTransition.values()[rnd.nextInt(3)];
                cc = new ConfChange(t, List.of(new ConfChangeSingle(ConfChangeType.ADD_NODE, in),
                        new ConfChangeSingle(rnd.nextBoolean() ? ConfChangeType.REMOVE_NODE
                                : ConfChangeType.ADD_LEARNER_NODE, out)), null);
            } else {
                return;
            }
        }
        trace("t" + now + " propose conf change at " + leader.id + ": " + cc.changes() + " " + cc.transition());
        leader.raft.proposeConfChange(cc);
    }

    private void injectFaults(int step) {
        int r = rnd.nextInt(10_000);
        if (r < 100) {
            double[] drops = {0, 0, 0.01, 0.05, 0.2};
            double[] dups = {0, 0, 0.02, 0.1};
            int[] delays = {1, 1, 2, 4, 8};
            net.dropRate = drops[rnd.nextInt(drops.length)];
            net.dupRate = dups[rnd.nextInt(dups.length)];
            net.maxDelay = delays[rnd.nextInt(delays.length)];
            trace("t" + now + " weather drop=" + net.dropRate + " dup=" + net.dupRate + " delay=" + net.maxDelay);
        } else if (r < 150) {
            clearPartitions();
            boolean[] side = new boolean[total + 1];
            for (int i = 1; i <= total; i++) {
                side[i] = rnd.nextBoolean();
            }
            for (int a = 1; a <= total; a++) {
                for (int b = 1; b <= total; b++) {
                    net.block(a, b, side[a] != side[b]);
                }
            }
            trace("t" + now + " symmetric partition " + java.util.Arrays.toString(side));
        } else if (r < 180) {
            int a = 1 + rnd.nextInt(total);
            int b = 1 + rnd.nextInt(total);
            net.block(a, b, true);
            trace("t" + now + " asymmetric block " + a + "->" + b);
        } else if (r < 210) {
            clearPartitions();
            flapNode = 1 + rnd.nextInt(total);
            flapPeriod = 5 + rnd.nextInt(30);
            trace("t" + now + " flapping partial partition of " + flapNode + " period " + flapPeriod);
        } else if (r < 300) {
            clearPartitions();
            trace("t" + now + " heal partitions");
        } else if (r < 340) {
            SimNode n = nodes[1 + rnd.nextInt(total)];
            if (n.up()) {
                n.raft = null; // everything not persisted is lost; in-flight messages to it are dropped
                n.downUntilStep = (int) now + 5 + rnd.nextInt(60);
                crashes++;
                trace("t" + now + " crash " + n.id);
            }
        }
        if (flapNode > 0 && step % flapPeriod == 0) {
            // The node reaches only a random subset of peers, re-drawn every period (2020 etcd/Cloudflare).
            for (int p = 1; p <= total; p++) {
                if (p != flapNode) {
                    boolean cut = rnd.nextBoolean();
                    net.block(flapNode, p, cut);
                    net.block(p, flapNode, cut);
                }
            }
        }
    }

    private void clearPartitions() {
        flapNode = -1;
        for (int a = 1; a <= total; a++) {
            for (int b = 1; b <= total; b++) {
                net.block(a, b, false);
            }
        }
    }

    private void heal() {
        clearPartitions();
        net.healAll();
        for (int i = 1; i <= total; i++) {
            SimNode n = nodes[i];
            if (!n.up()) {
                n.downUntilStep = -1;
                start(n);
            }
        }
        trace("t" + now + " HEAL ALL");
    }

    // ---- Ready processing: persist, send, apply, advance --------------------------------------------

    private void drain(SimNode n) {
        int guard = 0;
        while (n.up() && n.raft.hasReady()) {
            if (++guard > 10_000) {
                throw new SafetyViolation("node " + n.id + " produced endless Ready batches");
            }
            handleReady(n, n.raft.ready());
        }
    }

    private void handleReady(SimNode n, Ready rd) {
        if (rd.snapshot() != null) {
            n.disk.applySnapshot(rd.snapshot());
        }
        if (!rd.entries().isEmpty()) {
            long first = rd.entries().get(0).index();
            long prevTerm = first - 1 >= n.disk.firstIndex() - 1 && first - 1 <= n.disk.lastIndex()
                    ? n.disk.term(first - 1) : -1;
            checker.onPersistEntries(n.id, rd.entries(), prevTerm);
            n.disk.append(rd.entries());
        }
        if (rd.hardState() != null) {
            checker.onCommitPersisted(n.id, n.persistedCommit, rd.hardState().commit());
            checker.onCommitObserved(rd.hardState().term(), n.persistedCommit, rd.hardState().commit());
            boolean leaderNow = rd.softState() != null ? rd.softState().role() == StateRole.LEADER : n.wasLeader;
            if (leaderNow) {
                checker.onLeaderCommit(n.id, n.persistedCommit, rd.hardState().commit(), n.conf, nodes);
            }
            n.persistedCommit = rd.hardState().commit();
            n.disk.setHardState(rd.hardState());
        }
        if (rd.softState() != null) {
            boolean leader = rd.softState().role() == StateRole.LEADER;
            if (leader && !n.wasLeader) {
                long term = n.disk.hardState().term();
                checker.onLeader(n.id, term);
                checker.checkLeaderCompleteness(n.id, term, n.disk);
                leaders++;
                trace("t" + now + " leader " + n.id + " term " + term);
            }
            n.wasLeader = leader;
        }
        for (Message m : rd.messages()) {
            if (m.type() == MessageType.SNAP) {
                snapshotReports.add(new long[] {n.id, m.to()});
            }
            net.send(m, now);
        }
        if (rd.snapshot() != null) {
            Snapshot s = rd.snapshot();
            long idx = s.metadata().index();
            long chain = ByteBuffer.wrap(s.data()).getLong(8);
            checker.onSnapshotInstalled(n.id, idx, chain);
            n.appliedIndex = idx;
            n.appliedChain = chain;
            n.conf = s.metadata().confState();
            snapshots++;
        }
        for (Entry e : rd.committedEntries()) {
            checker.onApply(n.id, e, n.appliedIndex + 1);
            n.appliedIndex = e.index();
            n.appliedChain = SafetyChecker.chain(n.appliedChain, e.term(), SafetyChecker.hash(e.data()));
            if (e.type() == EntryType.CONF_CHANGE) {
                applyConfChange(n, e);
            }
        }
        for (ReadState rs : rd.readStates()) {
            Long min = pendingReads.remove(ByteBuffer.wrap(rs.requestContext()));
            if (min != null) {
                checker.onReadState(n.id, rs.index(), min);
                reads++;
            }
        }
        n.raft.advance(rd);
    }

    private void applyConfChange(SimNode n, Entry e) {
        ConfChange cc = RaftCodec.decodeConfChange(e.data());
        try {
            ConfState cs = n.raft.applyConfChange(cc);
            n.conf = cs;
            confChanges++;
            trace("t" + now + " node " + n.id + " applied conf " + cs);
        } catch (ConfChangeException ex) {
            trace("t" + now + " node " + n.id + " rejected conf change: " + ex.getMessage());
        }
    }

    private void maybeCompact(SimNode n) {
        long snapIndex = n.disk.snapshot().metadata().index();
        if (n.appliedIndex - snapIndex < 20 || rnd.nextInt(50) != 0) {
            return;
        }
        n.disk.createSnapshot(n.appliedIndex, n.conf, snapData(n.appliedIndex, n.appliedChain));
        long keep = rnd.nextInt(8);
        long compactTo = n.appliedIndex - keep;
        if (compactTo >= n.disk.firstIndex()) {
            n.disk.compact(compactTo);
        }
    }
}
