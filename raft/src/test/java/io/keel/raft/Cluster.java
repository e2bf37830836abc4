package io.keel.raft;

import io.keel.raft.codec.RaftCodec;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Tiny deterministic in-memory cluster for scenario tests: real RaftNodes and MemoryStorage, instant
 * delivery, link cuts and message filters. Processes every Ready per the contract (persist, send, apply,
 * advance) and records applied entries per node.
 */
final class Cluster {
    final Map<Long, RaftNode> nodes = new HashMap<>();
    final Map<Long, MemoryStorage> disks = new HashMap<>();
    final Map<Long, List<Entry>> applied = new HashMap<>();
    final Map<Long, List<ReadState>> reads = new HashMap<>();
    final Map<Long, ConfState> confs = new HashMap<>();
    final Set<Long> paused = new HashSet<>();
    final Set<String> cut = new HashSet<>();
    final ArrayDeque<Message> inFlight = new ArrayDeque<>();
    Predicate<Message> drop = m -> false;

    Cluster(int n, java.util.function.UnaryOperator<Config.Builder> cfg) {
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = i + 1;
        }
        for (long id : ids) {
            add(id, MemoryStorage.withVoters(ids), cfg);
        }
    }

    void add(long id, MemoryStorage disk, java.util.function.UnaryOperator<Config.Builder> cfg) {
        disks.put(id, disk);
        nodes.put(id, new RaftNode(cfg.apply(Config.builder(id).electionTick(10).heartbeatTick(1)
                .randomSeed(id * 7919)).build(), disk));
        applied.put(id, new ArrayList<>());
        reads.put(id, new ArrayList<>());
        confs.put(id, disk.initialState().confState());
    }

    RaftNode node(long id) {
        return nodes.get(id);
    }

    void isolate(long id) {
        for (long o : nodes.keySet()) {
            if (o != id) {
                cut(id, o);
            }
        }
    }

    void cut(long a, long b) {
        cut.add(a + ">" + b);
        cut.add(b + ">" + a);
    }

    void cutOneWay(long from, long to) {
        cut.add(from + ">" + to);
    }

    void heal() {
        cut.clear();
        drop = m -> false;
    }

    /** Drains Readies and delivers messages until nothing moves. */
    void stabilize() {
        for (int round = 0; round < 10_000; round++) {
            boolean moved = false;
            for (long id : nodes.keySet()) {
                if (!paused.contains(id)) {
                    while (nodes.get(id).hasReady()) {
                        handle(id, nodes.get(id).ready());
                        moved = true;
                    }
                }
            }
            while (!inFlight.isEmpty()) {
                Message m = inFlight.poll();
                boolean lost = cut.contains(m.from() + ">" + m.to()) || drop.test(m) || !nodes.containsKey(m.to())
                        || paused.contains(m.to());
                if (m.type() == MessageType.SNAP && !paused.contains(m.from())) {
                    nodes.get(m.from()).reportSnapshot(m.to(), lost); // the transport reports the outcome
                }
                if (lost) {
                    continue;
                }
                nodes.get(m.to()).step(m);
                moved = true;
            }
            if (!moved) {
                return;
            }
        }
        throw new AssertionError("cluster did not stabilize");
    }

    void handle(long id, Ready rd) {
        MemoryStorage d = disks.get(id);
        if (rd.snapshot() != null) {
            d.applySnapshot(rd.snapshot());
            confs.put(id, rd.snapshot().metadata().confState());
        }
        d.append(rd.entries());
        if (rd.hardState() != null) {
            d.setHardState(rd.hardState());
        }
        inFlight.addAll(rd.messages());
        for (Entry e : rd.committedEntries()) {
            if (e.index() <= applied.get(id).stream().mapToLong(Entry::index).max().orElse(0)) {
                throw new AssertionError("node " + id + " re-applied " + e);
            }
            applied.get(id).add(e);
            if (e.type() == EntryType.CONF_CHANGE) {
                confs.put(id, nodes.get(id).applyConfChange(RaftCodec.decodeConfChange(e.data())));
                // Like a real application: snapshot after a membership change so that joining nodes are
                // caught up from a snapshot that already lists them (they cannot replay the log from 1).
                if (e.index() > d.snapshot().metadata().index() && e.index() <= d.lastIndex()) {
                    d.createSnapshot(e.index(), confs.get(id), b("snap@" + e.index()));
                    d.compact(e.index());
                }
            }
        }
        reads.get(id).addAll(rd.readStates());
        nodes.get(id).advance(rd);
    }

    void tick(long id, int times) {
        for (int i = 0; i < times; i++) {
            nodes.get(id).tick();
            stabilize();
        }
    }

    void tickAll(int times) {
        for (int i = 0; i < times; i++) {
            for (long id : nodes.keySet()) {
                if (!paused.contains(id)) {
                    nodes.get(id).tick();
                }
            }
            stabilize();
        }
    }

    void elect(long id) {
        nodes.get(id).campaign();
        stabilize();
        if (nodes.get(id).status().role() != StateRole.LEADER) {
            throw new AssertionError("node " + id + " failed to become leader: " + nodes.get(id).status());
        }
    }

    long leader() {
        long best = 0;
        long bestTerm = -1;
        for (var e : nodes.entrySet()) {
            Status s = e.getValue().status();
            if (s.role() == StateRole.LEADER && s.term() > bestTerm && !paused.contains(e.getKey())) {
                best = e.getKey();
                bestTerm = s.term();
            }
        }
        return best;
    }

    List<String> appliedData(long id) {
        List<String> out = new ArrayList<>();
        for (Entry e : applied.get(id)) {
            if (e.type() == EntryType.NORMAL && e.dataLength() > 0) {
                out.add(new String(e.data(), java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    static byte[] b(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
}
