/**
 * Strict-serializability checking of list-append transaction histories, in the manner of Elle: the history
 * model ({@link io.keel.chaos.checker.txn.MicroOp}, {@link io.keel.chaos.checker.txn.TxnOp},
 * {@link io.keel.chaos.checker.txn.TxnHistory}, JSON lines like {@link io.keel.chaos.history.History}) and the
 * checker ({@link io.keel.chaos.checker.txn.ListAppendChecker}), which infers version orders from reads, builds
 * a ww / wr / rw / real-time dependency graph and names its cycles (G0, G1c, G-single, G2, each optionally
 * -realtime) alongside G1a, G1b, garbage reads, duplicates, incompatible orders, internal inconsistencies and lost
 * appends. The etcd client side is in {@code io.keel.chaos.workload.listappend}.
 */
package io.keel.chaos.checker.txn;
