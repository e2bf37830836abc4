package io.keel.chaos.cluster;

/**
 * Fault tools a member's container can run with (DockerCluster.start). With any of them the member starts
 * through /opt/keel/keel-node-run.sh (chaos/src/main/sh), which also applies file-system faults requested by
 * nemeses between incarnations (lost-writes revert, bit flips).
 */
public enum MemberTools {
  /** The fsync ledger shim (chaos/src/main/c/fsledger.c) preloaded into the JVM: lost-writes, bitflip. */
  FS_LEDGER,
  /** The clock shim (libkeelclock.so) preloaded into the JVM, its wall-clock offset read from a file: clock. */
  CLOCK_SHIFT
}
