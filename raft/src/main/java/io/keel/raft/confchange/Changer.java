package io.keel.raft.confchange;

import io.keel.raft.ConfChangeSingle;
import io.keel.raft.ConfState;
import io.keel.raft.quorum.JointConfig;
import io.keel.raft.quorum.MajorityConfig;
import io.keel.raft.tracker.Inflights;
import io.keel.raft.tracker.Progress;
import io.keel.raft.tracker.TrackerConfig;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Pure computation of membership transitions (simple, enter joint, leave joint) with invariant checks.
 * Never mutates its inputs; returns a new config and progress map or throws {@link ConfChangeException}.
 */
public final class Changer {
    /** Result of a change: the new config and progress map. */
    public record Result(TrackerConfig config, TreeMap<Long, Progress> progress) {
    }

    private final TrackerConfig cfg;
    private final Map<Long, Progress> prs;
    private final long lastIndex;
    private final Supplier<Inflights> inflights;

    public Changer(TrackerConfig cfg, Map<Long, Progress> prs, long lastIndex, Supplier<Inflights> inflights) {
        this.cfg = cfg;
        this.prs = prs;
        this.lastIndex = lastIndex;
        this.inflights = inflights;
    }

    private final class Work {
        Set<Long> incoming = new HashSet<>(cfg.voters().incoming().ids());
        Set<Long> outgoing = new HashSet<>(cfg.voters().outgoing().ids());
        Set<Long> learners = new HashSet<>(cfg.learners());
        Set<Long> learnersNext = new HashSet<>(cfg.learnersNext());
        boolean autoLeave = cfg.autoLeave();
        TreeMap<Long, Progress> progress = new TreeMap<>();

        Work() {
            prs.forEach((id, p) -> progress.put(id, p.copy()));
        }

        Result result() {
            TrackerConfig c = new TrackerConfig(new JointConfig(new MajorityConfig(incoming),
                    new MajorityConfig(outgoing)), learners, learnersNext, autoLeave);
            check(c, progress);
            return new Result(c, progress);
        }
    }

    /** Enters a joint configuration: outgoing := current voters, changes applied to incoming. */
    public Result enterJoint(boolean autoLeave, List<ConfChangeSingle> ccs) {
        if (cfg.voters().isJoint()) {
            throw new ConfChangeException("config is already joint");
        }
        if (cfg.voters().incoming().isEmpty()) {
            throw new ConfChangeException("can't make a zero-voter config joint");
        }
        Work w = new Work();
        w.outgoing = new HashSet<>(w.incoming);
        apply(w, ccs);
        w.autoLeave = autoLeave;
        return w.result();
    }

    /** Leaves the joint configuration: drops outgoing, demotes learnersNext to learners. */
    public Result leaveJoint() {
        if (!cfg.voters().isJoint()) {
            throw new ConfChangeException("can't leave a non-joint config");
        }
        Work w = new Work();
        for (long id : w.learnersNext) {
            w.learners.add(id);
            w.progress.get(id).isLearner = true;
        }
        w.learnersNext.clear();
        for (long id : w.outgoing) {
            if (!w.incoming.contains(id) && !w.learners.contains(id)) {
                w.progress.remove(id);
            }
        }
        w.outgoing.clear();
        w.autoLeave = false;
        return w.result();
    }

    /** Applies changes that alter at most one voter, without a joint config. */
    public Result simple(List<ConfChangeSingle> ccs) {
        if (cfg.voters().isJoint()) {
            throw new ConfChangeException("can't apply simple config change in joint config");
        }
        Work w = new Work();
        apply(w, ccs);
        Set<Long> before = cfg.voters().incoming().ids();
        int diff = 0;
        for (long id : w.incoming) {
            if (!before.contains(id)) {
                diff++;
            }
        }
        for (long id : before) {
            if (!w.incoming.contains(id)) {
                diff++;
            }
        }
        if (diff > 1) {
            throw new ConfChangeException("more than one voter changed without entering joint config");
        }
        return w.result();
    }

    private void apply(Work w, List<ConfChangeSingle> ccs) {
        for (ConfChangeSingle cc : ccs) {
            long id = cc.nodeId();
            switch (cc.type()) {
                case ADD_NODE -> makeVoter(w, id);
                case ADD_LEARNER_NODE -> makeLearner(w, id);
                case REMOVE_NODE -> remove(w, id);
            }
        }
        if (w.incoming.isEmpty()) {
            throw new ConfChangeException("removed all voters");
        }
    }

    private void initProgress(Work w, long id, boolean learner) {
        Progress p = new Progress(0, Math.max(lastIndex, 1), inflights.get(), learner);
        p.recentActive = true; // do not count a new node against CheckQuorum right away
        w.progress.put(id, p);
        if (learner) {
            w.learners.add(id);
        } else {
            w.incoming.add(id);
        }
    }

    private void makeVoter(Work w, long id) {
        Progress p = w.progress.get(id);
        if (p == null) {
            initProgress(w, id, false);
            return;
        }
        p.isLearner = false;
        w.learners.remove(id);
        w.learnersNext.remove(id);
        w.incoming.add(id);
    }

    private void makeLearner(Work w, long id) {
        Progress p = w.progress.get(id);
        if (p == null) {
            initProgress(w, id, true);
            return;
        }
        if (p.isLearner) {
            return;
        }
        w.incoming.remove(id);
        w.learners.remove(id);
        w.learnersNext.remove(id);
        if (w.outgoing.contains(id)) {
            w.learnersNext.add(id); // still votes in the outgoing half until the joint config is left
        } else {
            p.isLearner = true;
            w.learners.add(id);
        }
    }

    private void remove(Work w, long id) {
        if (!w.progress.containsKey(id)) {
            return;
        }
        w.incoming.remove(id);
        w.learners.remove(id);
        w.learnersNext.remove(id);
        if (!w.outgoing.contains(id)) {
            w.progress.remove(id);
        }
    }

    /** Checks the configuration invariants; throws ConfChangeException (never asserts silently). */
    public static void check(TrackerConfig c, Map<Long, Progress> prs) {
        for (long id : c.voters().ids()) {
            if (!prs.containsKey(id)) {
                throw new ConfChangeException("no progress for voter " + id);
            }
        }
        for (long id : c.learners()) {
            Progress p = prs.get(id);
            if (p == null) {
                throw new ConfChangeException("no progress for learner " + id);
            }
            if (c.voters().contains(id)) {
                throw new ConfChangeException(id + " is both learner and voter");
            }
            if (!p.isLearner) {
                throw new ConfChangeException(id + " is in learners but not marked learner");
            }
        }
        for (long id : c.learnersNext()) {
            Progress p = prs.get(id);
            if (p == null) {
                throw new ConfChangeException("no progress for learnerNext " + id);
            }
            if (!c.voters().outgoing().contains(id)) {
                throw new ConfChangeException(id + " is in learnersNext but not an outgoing voter");
            }
            if (p.isLearner) {
                throw new ConfChangeException(id + " is in learnersNext but already marked learner");
            }
        }
        for (long id : c.voters().ids()) {
            if (prs.get(id).isLearner) {
                throw new ConfChangeException("voter " + id + " is marked learner");
            }
        }
        for (long id : prs.keySet()) {
            if (!c.voters().contains(id) && !c.learners().contains(id)) {
                throw new ConfChangeException("progress for unknown node " + id);
            }
        }
        if (!c.voters().isJoint() && (!c.learnersNext().isEmpty() || c.autoLeave())) {
            throw new ConfChangeException("non-joint config with learnersNext or autoLeave");
        }
    }

    /** Builds config + progress from a persisted ConfState (on start or snapshot restore). */
    public static Result restore(ConfState cs, long lastIndex, Supplier<Inflights> inflights) {
        Changer empty = new Changer(TrackerConfig.EMPTY, Map.of(), lastIndex, inflights);
        Work w = empty.new Work();
        if (cs.voters().isEmpty() && cs.votersOutgoing().isEmpty()) {
            if (!cs.learners().isEmpty()) {
                throw new ConfChangeException("conf state with learners but no voters");
            }
            return w.result();
        }
        if (cs.votersOutgoing().isEmpty()) {
            for (long id : cs.voters()) {
                empty.makeVoter(w, id);
            }
            for (long id : cs.learners()) {
                empty.makeLearner(w, id);
            }
            return w.result();
        }
        // Joint: outgoing voters first, then enter joint with the incoming side's changes.
        for (long id : cs.votersOutgoing()) {
            empty.makeVoter(w, id);
        }
        Result base = w.result();
        Changer c2 = new Changer(base.config(), base.progress(), lastIndex, inflights);
        Work w2 = c2.new Work();
        w2.outgoing = new HashSet<>(w2.incoming);
        w2.incoming.clear();
        for (long id : cs.voters()) {
            c2.makeVoter(w2, id);
        }
        for (long id : cs.learners()) {
            c2.makeLearner(w2, id);
        }
        for (long id : cs.learnersNext()) {
            c2.makeLearner(w2, id);
        }
        w2.autoLeave = cs.autoLeave();
        // Drop progress of outgoing-only voters? No: they still vote in the outgoing half.
        return w2.result();
    }
}
