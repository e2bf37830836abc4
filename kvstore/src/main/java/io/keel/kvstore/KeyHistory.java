package io.keel.kvstore;

import java.util.Arrays;

/**
 * One key's revision history packed in a single immutable {@code long[]} (etcd's keyIndex, without objects).
 *
 * <p>Layout: a sequence of generations, each {@code created, ver, n, main0, sub0, ..., main(n-1), sub(n-1)}.
 * Every generation but the last ends with a tombstone; the last one is empty ({@code n == 0}) when the key is
 * deleted. {@code created} is the main revision that created the generation, {@code ver} the version of its
 * latest revision (kept across compaction, which trims old revisions). Records are never mutated after
 * publication: every change returns a new array, so readers need no locks.
 *
 * <p>Short forms save memory for the common single-revision key (a full record is at least 5 longs): length 1
 * {@code {main}} (created = main, version 1, sub 0), length 2 {@code {main, sub}} (created = main, version 1),
 * length 4 {@code {created, ver, main, sub}}. Mutations expand to the full form and pack the result; readers
 * address a revision by an offset and read it with {@link #mainAt} / {@link #subAt}.
 */
final class KeyHistory {
  static final int HEADER = 3;

  private KeyHistory() {}

  private static boolean isShort(long[] rec) {
    return rec.length < 5 && rec.length != HEADER;
  }

  /** The main revision at an offset returned by find/latest/keep. */
  static long mainAt(long[] rec, int pos) {
    switch (rec.length) {
      case 1:
      case 2:
        return rec[0];
      case 4:
        return rec[2];
      default:
        return rec[pos];
    }
  }

  /** The sub revision at an offset returned by find/latest/keep. */
  static long subAt(long[] rec, int pos) {
    switch (rec.length) {
      case 1:
        return 0;
      case 2:
        return rec[1];
      case 4:
        return rec[3];
      default:
        return rec[pos + 1];
    }
  }

  /** The full form of a record (the same array if already full). */
  static long[] full(long[] rec) {
    if (rec == null || !isShort(rec)) {
      return rec;
    }
    switch (rec.length) {
      case 1:
        return new long[] {rec[0], 1, 1, rec[0], 0};
      case 2:
        return new long[] {rec[0], 1, 1, rec[0], rec[1]};
      default:
        return new long[] {rec[0], rec[1], 1, rec[2], rec[3]};
    }
  }

  /** The shortest form of a full record. */
  static long[] pack(long[] rec) {
    if (rec == null || rec.length != 5 || rec[2] != 1) {
      return rec;
    }
    if (rec[0] == rec[3] && rec[1] == 1) {
      return rec[4] == 0 ? new long[] {rec[3]} : new long[] {rec[3], rec[4]};
    }
    return new long[] {rec[0], rec[1], rec[3], rec[4]};
  }

  /** Start offsets of the generations. */
  static int[] generations(long[] rec) {
    int count = 0;
    for (int pos = 0; pos < rec.length; pos = next(rec, pos)) {
      count++;
    }
    int[] starts = new int[count];
    int i = 0;
    for (int pos = 0; pos < rec.length; pos = next(rec, pos)) {
      starts[i++] = pos;
    }
    return starts;
  }

  static int next(long[] rec, int genStart) {
    return genStart + HEADER + 2 * (int) rec[genStart + 2];
  }

  static int lastGeneration(long[] rec) {
    int last = 0;
    for (int pos = 0; pos < rec.length; pos = next(rec, pos)) {
      last = pos;
    }
    return last;
  }

  static long created(long[] rec, int gen) {
    return rec[gen];
  }

  static long ver(long[] rec, int gen) {
    return rec[gen + 1];
  }

  static int size(long[] rec, int gen) {
    return (int) rec[gen + 2];
  }

  /** Offset of the i-th revision pair of a generation. */
  static int rev(int gen, int i) {
    return gen + HEADER + 2 * i;
  }

  /** True if the key exists at the latest revision. */
  static boolean isLive(long[] rec) {
    return rec != null && (isShort(rec) || size(rec, lastGeneration(rec)) > 0);
  }

  static boolean isEmpty(long[] rec) {
    return rec == null || (rec.length == HEADER && rec[2] == 0);
  }

  /** etcd keyIndex.put: appends a revision, starting a generation if the last one is empty. */
  static long[] put(long[] rec, long main, long sub) {
    return pack(putFull(full(rec), main, sub));
  }

  private static long[] putFull(long[] rec, long main, long sub) {
    if (rec == null) {
      return new long[] {main, 1, 1, main, sub};
    }
    int last = lastGeneration(rec);
    int n = size(rec, last);
    if (n > 0) {
      long lastMain = rec[rev(last, n - 1)];
      long lastSub = rec[rev(last, n - 1) + 1];
      if (main < lastMain || (main == lastMain && sub <= lastSub)) {
        throw new IllegalStateException("revision " + main + "_" + sub + " not after " + lastMain + "_" + lastSub);
      }
    }
    long[] out = Arrays.copyOf(rec, rec.length + 2);
    if (n == 0) {
      out[last] = main;
      out[last + 1] = 1;
    } else {
      out[last + 1] = rec[last + 1] + 1;
    }
    out[last + 2] = n + 1;
    out[rec.length] = main;
    out[rec.length + 1] = sub;
    return out;
  }

  /** Recovery: adds a put read from disk, whose created revision and version come from the stored value. */
  static long[] restorePut(long[] rec, long main, long sub, long created, long version) {
    return pack(restorePutFull(full(rec), main, sub, created, version));
  }

  private static long[] restorePutFull(long[] rec, long main, long sub, long created, long version) {
    if (rec == null || !isLive(rec)) {
      if (rec == null) {
        return new long[] {created, version, 1, main, sub};
      }
      long[] out = Arrays.copyOf(rec, rec.length + 2);
      int last = lastGeneration(rec);
      out[last] = created;
      out[last + 1] = version;
      out[last + 2] = 1;
      out[rec.length] = main;
      out[rec.length + 1] = sub;
      return out;
    }
    return putFull(rec, main, sub);
  }

  /** etcd keyIndex.tombstone: appends the tombstone revision and an empty generation. Key must be live. */
  static long[] tombstone(long[] rec, long main, long sub) {
    if (!isLive(rec)) {
      throw new IllegalStateException("tombstone on a key that is not live");
    }
    long[] withRev = putFull(full(rec), main, sub);
    return Arrays.copyOf(withRev, withRev.length + HEADER);
  }

  /**
   * etcd keyIndex.get: offset of the revision pair visible at {@code atRev} (the latest revision {@code <=
   * atRev} of the generation alive at atRev), or -1 if the key did not exist at atRev.
   */
  static int find(long[] rec, long atRev) {
    if (isShort(rec)) {
      return mainAt(rec, 0) <= atRev ? 0 : -1;
    }
    int[] gens = generations(rec);
    int lastg = gens.length - 1;
    for (int cg = lastg; cg >= 0; cg--) {
      int g = gens[cg];
      int n = size(rec, g);
      if (n == 0) {
        continue;
      }
      if (cg != lastg && rec[rev(g, n - 1)] <= atRev) {
        return -1; // deleted (tombstone at or before atRev)
      }
      if (rec[rev(g, 0)] <= atRev) {
        for (int i = n - 1; i >= 0; i--) {
          if (rec[rev(g, i)] <= atRev) {
            return rev(g, i);
          }
        }
      }
    }
    return -1;
  }

  /** Offset of the last revision pair of the live generation, or -1 if the key is deleted. */
  static int latest(long[] rec) {
    if (isShort(rec)) {
      return 0;
    }
    int last = lastGeneration(rec);
    int n = size(rec, last);
    return n == 0 ? -1 : rev(last, n - 1);
  }

  /**
   * create_revision of the key's live value (the created revision of its last generation), as stored in that
   * value's KeyValue; the caller checked {@link #latest} {@code >= 0}. Lets a put skip reading the previous value.
   */
  static long liveCreated(long[] rec) {
    if (isShort(rec)) {
      return rec[0]; // {main}, {main, sub}: created = main; {created, ver, main, sub}: created first
    }
    return created(rec, lastGeneration(rec));
  }

  /** version of the key's live value (the version of its last generation's latest revision); key must be live. */
  static long liveVersion(long[] rec) {
    switch (rec.length) {
      case 1:
      case 2:
        return 1;
      case 4:
        return rec[1];
      default:
        return ver(rec, lastGeneration(rec));
    }
  }

  /** etcd keyIndex.doCompact's generation choice: index (in gens) of the first generation alive after atRev. */
  private static int compactGeneration(long[] rec, int[] gens, long atRev) {
    int genIdx = 0;
    while (genIdx < gens.length - 1) {
      int g = gens[genIdx];
      if (rec[rev(g, size(rec, g) - 1)] > atRev) {
        break;
      }
      genIdx++;
    }
    return genIdx;
  }

  private static int walk(long[] rec, int g, long atRev) {
    for (int i = size(rec, g) - 1; i >= 0; i--) {
      if (rec[rev(g, i)] <= atRev) {
        return i;
      }
    }
    return -1;
  }

  /**
   * etcd keyIndex.keep: offset of the revision pair a compaction at atRev would keep, or -1 if none (the key
   * has no revision {@code <= atRev}, or only a tombstone).
   */
  static int keep(long[] rec, long atRev) {
    if (isEmpty(rec)) {
      return -1;
    }
    if (isShort(rec)) {
      return mainAt(rec, 0) <= atRev ? 0 : -1;
    }
    int[] gens = generations(rec);
    int genIdx = compactGeneration(rec, gens, atRev);
    int g = gens[genIdx];
    int n = size(rec, g);
    int revIndex = walk(rec, g, atRev);
    if (n == 0 || revIndex == -1) {
      return -1;
    }
    if (revIndex == n - 1 && genIdx != gens.length - 1) {
      return -1;
    }
    return rev(g, revIndex);
  }

  /**
   * etcd keyIndex.compact: drops generations that ended at or before atRev, and revisions older than the
   * latest one {@code <= atRev}; drops a generation left with only its tombstone. Returns null when nothing is
   * left (the key leaves the index).
   */
  static long[] compact(long[] rec, long atRev) {
    if (isShort(rec)) {
      return rec; // a single live revision: compaction keeps it
    }
    int[] gens = generations(rec);
    int genIdx = compactGeneration(rec, gens, atRev);
    int g = gens[genIdx];
    int n = size(rec, g);
    int from = 0;
    if (n > 0) {
      int revIndex = walk(rec, g, atRev);
      if (revIndex != -1) {
        from = revIndex;
      }
      if (n - from == 1 && genIdx != gens.length - 1) {
        genIdx++;
        g = gens[genIdx];
        n = size(rec, g);
        from = 0;
      }
    }
    // copy generation g trimmed to [from, n) then all later generations unchanged
    int restStart = next(rec, g);
    int keptRevs = n - from;
    long[] out = new long[HEADER + 2 * keptRevs + (rec.length - restStart)];
    out[0] = rec[g];
    out[1] = rec[g + 1];
    out[2] = keptRevs;
    System.arraycopy(rec, rev(g, from), out, HEADER, 2 * keptRevs);
    System.arraycopy(rec, restStart, out, HEADER + 2 * keptRevs, rec.length - restStart);
    return isEmpty(out) ? null : pack(out);
  }

  /** True if the record holds exactly this revision. */
  static boolean contains(long[] rec, long main, long sub) {
    if (isShort(rec)) {
      return mainAt(rec, 0) == main && subAt(rec, 0) == sub;
    }
    for (int pos = 0; pos < rec.length; pos = next(rec, pos)) {
      int n = size(rec, pos);
      for (int i = 0; i < n; i++) {
        if (rec[rev(pos, i)] == main && rec[rev(pos, i) + 1] == sub) {
          return true;
        }
      }
    }
    return false;
  }
}
