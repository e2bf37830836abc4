package io.keel.wal;

/** Base of the WAL's unchecked failures (I/O failure, closed WAL, full queue, corruption). */
public class WalException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public WalException(String message) {
    super(message);
  }

  public WalException(String message, Throwable cause) {
    super(message, cause);
  }
}
