package io.keel.bench.cluster;

import java.util.List;

/**
 * A cluster of server processes on loopback started for a benchmark, speaking the etcd v3 gRPC API.
 * Closing it stops every process it started; its data directories stay for inspection.
 */
public interface LocalCluster extends AutoCloseable {

  /** What runs, e.g. "etcd" or "keel". */
  String kind();

  /** Client endpoints as "127.0.0.1:port", one per member. */
  List<String> clientEndpoints();

  /** Operating-system process ids of the members, in member order (for CPU and memory readings). */
  List<Long> pids();

  /** The exact command lines used to start the members (for reports). */
  List<List<String>> commands();

  /** Stops all members; never throws. */
  @Override
  void close();
}
