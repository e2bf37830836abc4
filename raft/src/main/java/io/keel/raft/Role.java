package io.keel.raft;

/**
 * Role strategy: what a node does on a tick and on a message once the common term rules in
 * {@link Raft#step} have run. One implementation per role instead of one big switch.
 */
interface Role {
    StateRole state();

    void tick(Raft r);

    /** Role-specific handling; may throw {@link ProposalDroppedException} for proposals. */
    void step(Raft r, Message m);
}
