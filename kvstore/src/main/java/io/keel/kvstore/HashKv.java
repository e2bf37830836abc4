package io.keel.kvstore;

import com.google.protobuf.InvalidProtocolBufferException;
import io.keel.proto.mvccpb.KeyValue;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;

/**
 * etcd 3.4's HashByRev over the "key" column family: CRC-32C (Castagnoli) of the bucket name "key", then of
 * each stored (revision key, value) with revision {@code <= rev}; entries at or below the compact revision
 * count only if the index keeps them at {@code rev} (unless it keeps none at all), exactly as etcd does.
 */
final class HashKv {
  private HashKv() {}

  static int hash(MvccStore store, KeyIndex index, long rev, long compactRev) {
    boolean keepAny = anyKept(index, rev);
    CRC32C crc = new CRC32C();
    crc.update("key".getBytes(StandardCharsets.US_ASCII));
    byte[] upper = Revisions.lowerBound(rev + 1);
    try (RocksIterator it = store.db().newIterator(store.keyColumn())) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        byte[] k = it.key();
        if (java.util.Arrays.compareUnsigned(k, upper) >= 0) {
          break;
        }
        byte[] v = it.value();
        long main = Revisions.main(k);
        if (main <= compactRev && keepAny) {
          long[] rec = index.get(KeyValue.parseFrom(v).getKey().toByteArray());
          int pos = rec == null ? -1 : KeyHistory.keep(rec, rev);
          if (pos < 0 || KeyHistory.mainAt(rec, pos) != main
              || KeyHistory.subAt(rec, pos) != Revisions.sub(k)) {
            continue;
          }
        }
        crc.update(k);
        crc.update(v);
      }
      it.status();
    } catch (RocksDBException e) {
      throw new KvStorageException("hashKV", e);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt value in key column family", e);
    }
    return (int) crc.getValue();
  }

  private static boolean anyKept(KeyIndex index, long rev) {
    boolean[] any = new boolean[1];
    index.scan(new byte[] {0}, new byte[0], (page, slot, rec) -> {
      if (KeyHistory.keep(rec, rev) >= 0) {
        any[0] = true;
        return false;
      }
      return true;
    });
    return any[0];
  }
}
