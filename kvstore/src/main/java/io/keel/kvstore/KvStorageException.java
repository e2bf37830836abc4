package io.keel.kvstore;

/**
 * RocksDB failed underneath the store. After a failed write the store refuses further writes (its in-memory
 * index may be ahead of disk); reopen it to recover from the durable state.
 */
public final class KvStorageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public KvStorageException(String what, Throwable cause) {
    super(what + ": " + cause.getMessage(), cause);
  }
}
