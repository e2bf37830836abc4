package io.keel.kvstore;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * The in-memory key index: sorted keys mapped to their {@link KeyHistory} records, laid out for memory as
 * sorted pages (keys packed in one {@code byte[]} with an {@code int[]} of offsets, records in a
 * {@code long[][]}) instead of a tree of objects.
 *
 * <p>Concurrency: one writer thread mutates; any number of readers run without locks. Records are immutable
 * and published with release stores; a page whose key set changes is replaced by a copy; the page array is
 * replaced (volatile) when pages split or vanish. A reader therefore always sees a state at least as new as
 * the one published before it started, and filters revisions by its read revision.
 */
final class KeyIndex {
  static final int MAX_PAGE_KEYS = 128;
  private static final VarHandle PAGES = MethodHandles.arrayElementVarHandle(Page[].class);
  private static final VarHandle RECORDS = MethodHandles.arrayElementVarHandle(long[][].class);
  private static final Page[] NO_PAGES = new Page[0];

  /** Consumer of index entries during a scan; return false to stop. */
  interface Visitor {
    boolean visit(Page page, int slot, long[] record);
  }

  /** An immutable set of sorted keys with mutable (release/acquire) record slots. */
  static final class Page {
    final byte[] keys;
    final int[] offsets; // size() + 1 entries
    final long[][] records;

    Page(byte[] keys, int[] offsets, long[][] records) {
      this.keys = keys;
      this.offsets = offsets;
      this.records = records;
    }

    int size() {
      return records.length;
    }

    byte[] key(int i) {
      return Arrays.copyOfRange(keys, offsets[i], offsets[i + 1]);
    }

    long[] record(int i) {
      return (long[]) RECORDS.getAcquire(records, i);
    }

    int compareKey(int i, byte[] k) {
      return Arrays.compareUnsigned(keys, offsets[i], offsets[i + 1], k, 0, k.length);
    }

    /** Index of k, or -(insertion point) - 1. */
    int search(byte[] k) {
      int lo = 0;
      int hi = size() - 1;
      while (lo <= hi) {
        int mid = (lo + hi) >>> 1;
        int c = compareKey(mid, k);
        if (c < 0) {
          lo = mid + 1;
        } else if (c > 0) {
          hi = mid - 1;
        } else {
          return mid;
        }
      }
      return -(lo + 1);
    }
  }

  private volatile Page[] pages = NO_PAGES;
  private volatile int keyCount; // written by the writer only
  private long keyBytes; // writer-owned

  /** Number of keys in the index (writer thread view). */
  int size() {
    return keyCount;
  }

  long keyBytes() {
    return keyBytes;
  }

  /** Index of the page that may hold k (the last page whose first key is <= k), or 0. */
  private static int pageFor(Page[] ps, byte[] k) {
    int lo = 0;
    int hi = ps.length - 1;
    int ans = 0;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      Page p = (Page) PAGES.getAcquire(ps, mid);
      if (p.compareKey(0, k) <= 0) {
        ans = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return ans;
  }

  /** The record of key k, or null. Any thread. */
  long[] get(byte[] k) {
    Page[] ps = pages;
    if (ps.length == 0) {
      return null;
    }
    Page p = (Page) PAGES.getAcquire(ps, pageFor(ps, k));
    int i = p.search(k);
    return i >= 0 ? p.record(i) : null;
  }

  /**
   * Visits keys in [start, end) in order; {@code end == null} means only {@code start}; an empty end means
   * no upper bound. Any thread.
   */
  void scan(byte[] start, byte[] end, Visitor v) {
    Page[] ps = pages;
    if (ps.length == 0) {
      return;
    }
    boolean single = end == null;
    boolean unbounded = end != null && end.length == 0;
    int pi = pageFor(ps, start);
    Page p = (Page) PAGES.getAcquire(ps, pi);
    int i = p.search(start);
    if (single) {
      if (i >= 0) {
        v.visit(p, i, p.record(i));
      }
      return;
    }
    if (i < 0) {
      i = -i - 1;
    }
    while (true) {
      for (; i < p.size(); i++) {
        if (!unbounded && p.compareKey(i, end) >= 0) {
          return;
        }
        if (!v.visit(p, i, p.record(i))) {
          return;
        }
      }
      pi++;
      if (pi >= ps.length) {
        return;
      }
      p = (Page) PAGES.getAcquire(ps, pi);
      i = 0;
    }
  }

  /** Sets the record of key k (inserting the key if absent). Writer thread only. */
  void put(byte[] k, long[] record) {
    if (record == null) {
      throw new IllegalArgumentException("null record");
    }
    Page[] ps = pages;
    if (ps.length == 0) {
      Page p = new Page(k.clone(), new int[] {0, k.length}, new long[][] {record});
      keyCount = 1;
      keyBytes = k.length;
      pages = new Page[] {p};
      return;
    }
    int pi = pageFor(ps, k);
    Page p = ps[pi];
    int i = p.search(k);
    if (i >= 0) {
      RECORDS.setRelease(p.records, i, record);
      return;
    }
    int at = -i - 1;
    int n = p.size();
    byte[] keys = new byte[p.keys.length + k.length];
    int split = p.offsets[at];
    System.arraycopy(p.keys, 0, keys, 0, split);
    System.arraycopy(k, 0, keys, split, k.length);
    System.arraycopy(p.keys, split, keys, split + k.length, p.keys.length - split);
    int[] offsets = new int[n + 2];
    System.arraycopy(p.offsets, 0, offsets, 0, at + 1);
    for (int j = at + 1; j <= n + 1; j++) {
      offsets[j] = p.offsets[j - 1] + k.length;
    }
    long[][] records = new long[n + 1][];
    System.arraycopy(p.records, 0, records, 0, at);
    records[at] = record;
    System.arraycopy(p.records, at, records, at + 1, n - at);
    keyCount++;
    keyBytes += k.length;
    if (n + 1 <= MAX_PAGE_KEYS) {
      PAGES.setRelease(ps, pi, new Page(keys, offsets, records));
      return;
    }
    int half = (n + 1) / 2;
    Page left = slice(keys, offsets, records, 0, half);
    Page right = slice(keys, offsets, records, half, n + 1);
    Page[] out = new Page[ps.length + 1];
    System.arraycopy(ps, 0, out, 0, pi);
    out[pi] = left;
    out[pi + 1] = right;
    System.arraycopy(ps, pi + 1, out, pi + 2, ps.length - pi - 1);
    pages = out;
  }

  private static Page slice(byte[] keys, int[] offsets, long[][] records, int from, int to) {
    byte[] k = Arrays.copyOfRange(keys, offsets[from], offsets[to]);
    int[] o = new int[to - from + 1];
    for (int j = from; j <= to; j++) {
      o[j - from] = offsets[j] - offsets[from];
    }
    return new Page(k, o, Arrays.copyOfRange(records, from, to));
  }

  /** Removes key k if present. Writer thread only. */
  void remove(byte[] k) {
    Page[] ps = pages;
    if (ps.length == 0) {
      return;
    }
    int pi = pageFor(ps, k);
    Page p = ps[pi];
    int i = p.search(k);
    if (i < 0) {
      return;
    }
    keyCount--;
    keyBytes -= k.length;
    int n = p.size();
    if (n == 1) {
      Page[] out = new Page[ps.length - 1];
      System.arraycopy(ps, 0, out, 0, pi);
      System.arraycopy(ps, pi + 1, out, pi, ps.length - pi - 1);
      pages = out;
      return;
    }
    int kl = p.offsets[i + 1] - p.offsets[i];
    byte[] keys = new byte[p.keys.length - kl];
    System.arraycopy(p.keys, 0, keys, 0, p.offsets[i]);
    System.arraycopy(p.keys, p.offsets[i + 1], keys, p.offsets[i], p.keys.length - p.offsets[i + 1]);
    int[] offsets = new int[n];
    System.arraycopy(p.offsets, 0, offsets, 0, i + 1);
    for (int j = i + 1; j < n; j++) {
      offsets[j] = p.offsets[j + 1] - kl;
    }
    long[][] records = new long[n - 1][];
    System.arraycopy(p.records, 0, records, 0, i);
    System.arraycopy(p.records, i + 1, records, i, n - 1 - i);
    PAGES.setRelease(ps, pi, new Page(keys, offsets, records));
  }

  /**
   * Exact shallow heap size of the index structures (pages, key bytes, offsets, records) assuming a 64-bit
   * JVM with compressed oops (12-byte object headers, 16-byte array headers, 8-byte alignment). O(keys).
   */
  long heapBytes() {
    Page[] ps = pages;
    long total = align(16 + 4L * ps.length) + 16 /* this */;
    for (Page p : ps) {
      total += 24 + align(16 + p.keys.length) + align(16 + 4L * p.offsets.length) + align(16 + 4L * p.size());
      for (int i = 0; i < p.size(); i++) {
        total += align(16 + 8L * p.record(i).length);
      }
    }
    return total;
  }

  private static long align(long bytes) {
    return (bytes + 7) & ~7L;
  }

  /** Page count (for tests and metrics). */
  int pageCount() {
    return pages.length;
  }

  /** Checks ordering and page invariants; throws IllegalStateException on violation. For tests. */
  void checkInvariants() {
    Page[] ps = pages;
    byte[] prev = null;
    int count = 0;
    for (Page p : ps) {
      if (p.size() == 0 || p.size() > MAX_PAGE_KEYS || p.offsets.length != p.size() + 1) {
        throw new IllegalStateException("bad page size " + p.size());
      }
      for (int i = 0; i < p.size(); i++) {
        byte[] k = p.key(i);
        if (prev != null && Arrays.compareUnsigned(prev, k) >= 0) {
          throw new IllegalStateException("keys out of order");
        }
        if (p.record(i) == null) {
          throw new IllegalStateException("null record");
        }
        prev = k;
        count++;
      }
    }
    if (count != keyCount) {
      throw new IllegalStateException("key count " + count + " != " + keyCount);
    }
  }
}
