package io.keel.kvstore;

/**
 * Keel's snapshot file (what {@code etcdctl snapshot save} writes from a Keel member), version 1. A logical dump
 * of the store at one RocksDB snapshot, laid out in 512-byte blocks so that, as etcd's bolt files, the file
 * length is 32 more than a multiple of 512 (etcdctl checks exactly that before accepting a snapshot):
 *
 * <pre>
 *   header   512 bytes: "KEELSNAP", u32 format version (1), u64 revision, u64 compact revision,
 *                      u64 applied index, u64 record count, u64 record bytes; zero filled
 *   records  record count × (u8 column: 1 = key, 2 = meta; u32 key length; key; u32 value length; value)
 *   end      u8 0xFF, u64 record count
 *   padding  zeros up to a multiple of 512
 *   trailer  32 bytes: SHA-256 of everything before it (etcd's snapshot trailer)
 * </pre>
 *
 * All integers are big-endian. "key" records are the revision → mvccpb.KeyValue column as stored; "meta"
 * records the store's bookkeeping (current and compact revisions, applied index, server records).
 */
public final class SnapshotFormat {
  public static final byte[] MAGIC = {'K', 'E', 'E', 'L', 'S', 'N', 'A', 'P'};
  public static final int VERSION = 1;
  public static final int BLOCK_BYTES = 512;
  public static final int TRAILER_BYTES = 32;
  static final byte COLUMN_KEY = 1;
  static final byte COLUMN_META = 2;
  static final byte END = (byte) 0xFF;
  /** Bounds a restore trusts: one key or value of the dump. */
  static final int MAX_FIELD_BYTES = 64 << 20;

  private SnapshotFormat() {}

  /** Bytes of one record. */
  static long recordBytes(int keyLength, int valueLength) {
    return 1 + 4 + (long) keyLength + 4 + valueLength;
  }

  /** Total file length for the given record bytes (header, records, end, padding, trailer). */
  static long fileBytes(long recordBytes) {
    long body = BLOCK_BYTES + recordBytes + 9;
    long padded = (body + BLOCK_BYTES - 1) / BLOCK_BYTES * BLOCK_BYTES;
    return padded + TRAILER_BYTES;
  }
}
