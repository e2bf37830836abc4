/** The durable write-ahead log under Raft: segments, records with CRC32C, group commit, recovery. */
package io.keel.wal;
