/**
 * Keel's Raft consensus core: a pure, single-threaded state machine in the style of etcd-io/raft.
 *
 * <p>No threads, sockets, clocks or disk inside. Drive a {@link io.keel.raft.RaftNode} with {@code tick()},
 * {@code step(Message)}, {@code propose}, {@code readIndex}, {@code transferLeadership} and
 * {@code proposeConfChange}; then repeatedly take a {@link io.keel.raft.Ready}: persist its snapshot, entries
 * and hard state, send its messages (only after persisting), apply its snapshot and committed entries
 * (calling {@code applyConfChange} for membership entries), and acknowledge with {@code advance}. The leader
 * counts its own log toward commitment only once {@code advance} acknowledges the write (etcd #14370).
 *
 * <p>Subpackages: {@code quorum} (majority/joint math), {@code tracker} (per-follower flow control),
 * {@code confchange} (membership transitions and invariants), {@code codec} (versioned binary encoding),
 * {@code sim} (deterministic fault-injecting simulator with safety and liveness checkers).
 */
package io.keel.raft;
