/**
 * Keel's MVCC key-value store with etcd v3 semantics on RocksDB.
 *
 * <p>Entry point: {@link io.keel.kvstore.MvccStore}. Writes (put, deleteRange, txn, compact) come from one
 * thread (the Raft apply loop) and carry the applied index, stored atomically with the data; reads (range,
 * hashKV) may run on any thread. Validate client requests with {@link io.keel.kvstore.RequestValidator}
 * before proposing them (the store re-checks them before applying). Errors are
 * {@link io.keel.kvstore.EtcdException} carrying an {@link io.keel.kvstore.EtcdError} with etcd's gRPC code and
 * message. Watchers subscribe with {@link io.keel.kvstore.RevisionListener}: one call per committed revision,
 * on the writer thread, with that revision's events (prev_kv set).
 */
package io.keel.kvstore;
