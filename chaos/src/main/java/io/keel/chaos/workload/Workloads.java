package io.keel.chaos.workload;

import io.keel.chaos.workload.listappend.ListAppendRun;
import java.util.ArrayList;
import java.util.List;

/** Builds workloads by their {@code --workload} name; {@code all} is every workload at once. */
public final class Workloads {
  /** The single workloads, in the order {@code all} runs them. */
  public static final List<String> NAMES = List.of("register", "list-append", "set", "watch", "lease");

  private Workloads() {
  }

  /** The workload(s) named {@code name} for a run with {@code o}, recording on the time base {@code startNanos}. */
  public static List<Workload> create(String name, RunOptions o, long startNanos) {
    if (name.equals("all")) {
      List<Workload> out = new ArrayList<>();
      for (String n : NAMES) {
        out.addAll(create(n, o, startNanos));
      }
      return out;
    }
    return List.of(switch (name) {
      case "register" -> new RegisterWorkload(o, startNanos);
      case "list-append" -> new ListAppendRun(o);
      case "set" -> new io.keel.chaos.workload.set.SetWorkload(o, startNanos);
      case "watch" -> new io.keel.chaos.workload.watch.WatchWorkload(o, startNanos);
      case "lease" -> new io.keel.chaos.workload.lease.LeaseWorkload(o, startNanos);
      default -> throw new IllegalArgumentException("unknown workload '" + name + "' (known: " + NAMES + ", all)");
    });
  }
}
