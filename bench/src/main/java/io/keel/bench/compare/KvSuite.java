package io.keel.bench.compare;

import com.google.protobuf.ByteString;
import io.keel.bench.load.AsyncOperation;
import io.keel.bench.load.EtcdConnections;
import io.keel.bench.load.KeyGenerator;
import io.keel.bench.load.KvOperations;
import java.util.ArrayList;
import java.util.List;

/**
 * The "kv" comparison suite: put at 1, 16, 256 and 1000 clients (8-byte keys, 256-byte values, random keys
 * over a large key space) and linearizable and serializable single-key range at 16 and 256 clients.
 * Connections follow etcd's published setup (1000 clients over 100 connections): {@code clients / 10},
 * at least 1 and at most 100.
 */
public final class KvSuite {

  /** Key size of the suite, as in etcd's published put numbers. */
  public static final int KEY_SIZE = 8;
  /** Value size of the suite, as in etcd's published put numbers. */
  public static final int VAL_SIZE = 256;
  /** Key space of the put points. */
  public static final long KEY_SPACE = 100_000;
  /** The key the range points read (written before the suite). */
  public static final String RANGE_KEY = "foo";

  /** What a data point does. */
  public enum Workload {
    PUT("put"), RANGE_LINEARIZABLE("range-l"), RANGE_SERIALIZABLE("range-s");

    private final String label;

    Workload(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }
  }

  /** One data point of the suite. */
  public record DataPoint(Workload workload, int clients, int conns) {
    public String id() {
      return workload.label() + "-c" + clients;
    }

    /** The operation over open connections. */
    public AsyncOperation operation(EtcdConnections connections, long requestTimeoutMs) {
      return switch (workload) {
        case PUT -> KvOperations.put(connections, clients, new KeyGenerator(KEY_SIZE, KEY_SPACE, false), VAL_SIZE,
            requestTimeoutMs);
        case RANGE_LINEARIZABLE -> KvOperations.range(connections, ByteString.copyFromUtf8(RANGE_KEY),
            ByteString.EMPTY, false, requestTimeoutMs);
        case RANGE_SERIALIZABLE -> KvOperations.range(connections, ByteString.copyFromUtf8(RANGE_KEY),
            ByteString.EMPTY, true, requestTimeoutMs);
      };
    }

    /** The equivalent standalone command line (after {@code bench}). */
    public List<String> equivalentCommand(String endpoints, long total, long maxSeconds) {
      List<String> cmd = new ArrayList<>(List.of("kv"));
      cmd.add(workload == Workload.PUT ? "put" : "range");
      cmd.addAll(List.of("--endpoints", endpoints, "--conns", Integer.toString(conns), "--clients",
          Integer.toString(clients), "--total", Long.toString(total), "--max-seconds", Long.toString(maxSeconds)));
      if (workload == Workload.PUT) {
        cmd.addAll(List.of("--key-size", Integer.toString(KEY_SIZE), "--val-size", Integer.toString(VAL_SIZE),
            "--key-space-size", Long.toString(KEY_SPACE)));
      } else {
        cmd.addAll(List.of("--consistency", workload == Workload.RANGE_LINEARIZABLE ? "l" : "s", RANGE_KEY));
      }
      return cmd;
    }
  }

  private KvSuite() {}

  /** Connections for a client count: clients/10 clamped to 1..100. */
  public static int connsFor(int clients) {
    return Math.max(1, Math.min(100, clients / 10));
  }

  /** The suite's data points in run order. */
  public static List<DataPoint> points() {
    List<DataPoint> out = new ArrayList<>();
    for (int c : new int[] {1, 16, 256, 1000}) {
      out.add(new DataPoint(Workload.PUT, c, connsFor(c)));
    }
    for (int c : new int[] {16, 256}) {
      out.add(new DataPoint(Workload.RANGE_LINEARIZABLE, c, connsFor(c)));
      out.add(new DataPoint(Workload.RANGE_SERIALIZABLE, c, connsFor(c)));
    }
    return List.copyOf(out);
  }
}
