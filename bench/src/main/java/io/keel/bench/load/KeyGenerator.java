package io.keel.bench.load;

import com.google.protobuf.ByteString;
import java.util.SplittableRandom;

/**
 * Keys like etcd's benchmark makes them: a zero-filled array of {@code keySize} bytes whose start holds the
 * key number as a zig-zag varint; the number is {@code seq % keySpaceSize} with sequential keys, otherwise
 * pseudo-random (uniform) in {@code [0, keySpaceSize)}.
 */
public final class KeyGenerator {

  /** Upper bound on key and value sizes (etcd's default request limit is 1.5 MiB). */
  public static final int MAX_SIZE_BYTES = 1 << 20;

  private final int keySize;
  private final long keySpaceSize;
  private final boolean sequential;

  public KeyGenerator(int keySize, long keySpaceSize, boolean sequential) {
    if (keySize < 1 || keySize > MAX_SIZE_BYTES) {
      throw new IllegalArgumentException("key size must be in 1.." + MAX_SIZE_BYTES + ": " + keySize);
    }
    if (keySpaceSize < 1) {
      throw new IllegalArgumentException("key space size must be >= 1: " + keySpaceSize);
    }
    this.keySize = keySize;
    this.keySpaceSize = keySpaceSize;
    this.sequential = sequential;
  }

  /**
   * The key for request {@code seq}. Random keys are a stateless hash of {@code seq}, so generation is
   * thread-safe and a run is reproducible.
   */
  public ByteString key(long seq) {
    long n = sequential ? Math.floorMod(seq, keySpaceSize) : Math.floorMod(mix(seq), keySpaceSize);
    return ByteString.copyFrom(encode(n, keySize));
  }

  /** SplitMix64 finaliser: a well-spread 64-bit hash. */
  static long mix(long x) {
    long z = x + 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Zig-zag varint of {@code n} at the start of a zero-filled array of {@code size} bytes (truncated if needed). */
  static byte[] encode(long n, int size) {
    byte[] out = new byte[size];
    long v = (n << 1) ^ (n >> 63);
    int i = 0;
    while (i < size) {
      if ((v & ~0x7FL) == 0) {
        out[i] = (byte) v;
        break;
      }
      out[i++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    return out;
  }

  /** A value of {@code size} random printable bytes. */
  public static ByteString randomValue(int size, SplittableRandom random) {
    if (size < 0 || size > MAX_SIZE_BYTES) {
      throw new IllegalArgumentException("value size must be in 0.." + MAX_SIZE_BYTES + ": " + size);
    }
    byte[] v = new byte[size];
    for (int i = 0; i < size; i++) {
      v[i] = (byte) ('a' + random.nextInt(26));
    }
    return ByteString.copyFrom(v);
  }
}
