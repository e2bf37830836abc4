package io.keel.kvstore;

/** Tells the store whether a lease exists, so a put naming an unknown lease fails with LEASE_NOT_FOUND. */
@FunctionalInterface
public interface LeaseLookup {
  /** Default: no lease exists (every put with a lease fails). */
  LeaseLookup NONE = leaseId -> false;

  boolean exists(long leaseId);
}
