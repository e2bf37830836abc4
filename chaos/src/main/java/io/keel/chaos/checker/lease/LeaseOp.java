package io.keel.chaos.checker.lease;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.keel.chaos.history.Op;
import java.util.List;
import java.util.Objects;

/**
 * One event of a lease workload's history (invoke / ok / fail / info, as {@link Op}). Operations:
 * {@code grant} (ok carries the lease id and granted TTL), {@code attach} (one Txn putting {@code keys} with
 * the lease), {@code keepalive} (ok carries the TTL answered; 0 or less = lease not found), {@code revoke},
 * {@code read} (a linearizable range of the lease's keys; ok carries the keys {@code present}) and
 * {@code final-read} (after the run, every key left under the workload's prefix).
 *
 * @param lease lease id (0 before a grant is answered)
 * @param ttlSeconds requested (invoke) or granted / answered (ok) TTL
 * @param keys the keys the operation is about
 * @param present for reads: the keys present
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LeaseOp(int process, Op.Type type, String f, long lease, long ttlSeconds, List<String> keys,
    List<String> present, long timeNanos, String error) {
  public static final List<String> KINDS = List.of("grant", "attach", "keepalive", "revoke", "read", "final-read");

  public LeaseOp {
    Objects.requireNonNull(type, "type");
    if (!KINDS.contains(f)) {
      throw new IllegalArgumentException("lease op must be one of " + KINDS + ", got " + f);
    }
    keys = keys == null ? List.of() : List.copyOf(keys);
    present = present == null ? null : List.copyOf(present);
  }

  public static LeaseOp invoke(int process, String f, long lease, long ttlSeconds, List<String> keys) {
    return new LeaseOp(process, Op.Type.INVOKE, f, lease, ttlSeconds, keys, null, 0, null);
  }

  /** A completion; {@code lease} and {@code ttl} as answered (grant, keepalive), {@code present} for reads. */
  public LeaseOp complete(Op.Type t, long leaseId, long ttl, List<String> presentKeys, String why) {
    if (type != Op.Type.INVOKE || t == Op.Type.INVOKE) {
      throw new IllegalStateException("only an invocation can be completed, by a non-invocation");
    }
    return new LeaseOp(process, t, f, leaseId, ttl, keys, presentKeys, 0, why);
  }

  public LeaseOp at(long nanos) {
    return new LeaseOp(process, type, f, lease, ttlSeconds, keys, present, nanos, error);
  }

  /** The lease id a workload key belongs to: keys are {@code <prefix><lease hex>/<name>}. */
  public static long leaseOfKey(String prefix, String key) {
    if (!key.startsWith(prefix)) {
      return 0;
    }
    int slash = key.indexOf('/', prefix.length());
    try {
      return Long.parseUnsignedLong(key.substring(prefix.length(), slash < 0 ? key.length() : slash), 16);
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
