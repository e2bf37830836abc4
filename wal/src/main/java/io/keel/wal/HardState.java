package io.keel.wal;

/**
 * Raft's persistent hard state (current term, vote, commit index). Stored atomically with the entries of the
 * same write: both live in one CRC-protected record. {@link #EMPTY} means "never written".
 */
public record HardState(long term, long vote, long commit) {
  public static final HardState EMPTY = new HardState(0, 0, 0);

  public HardState {
    if (term < 0 || vote < 0 || commit < 0) {
      throw new IllegalArgumentException("hard state fields must be >= 0: " + term + "/" + vote + "/" + commit);
    }
  }

  public boolean isEmpty() {
    return equals(EMPTY);
  }
}
