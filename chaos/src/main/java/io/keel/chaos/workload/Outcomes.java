package io.keel.chaos.workload;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.keel.chaos.cluster.Node;
import io.keel.chaos.history.Op;

/**
 * How a client classifies a failed request, shared by every workload: a request that changes nothing (a read),
 * that was never sent (the connection could not be opened), or that went to a member that was certainly down
 * the whole time ({@link Node#liveness()} odd and unchanged) certainly did not take effect: {@code fail}. Any
 * other error or timeout is {@code info}: it may still take effect.
 */
public final class Outcomes {
  private Outcomes() {
  }

  /** fail or info for {@code e}, thrown by a request sent to {@code node} whose liveness was {@code before}. */
  public static Op.Type classify(StatusRuntimeException e, boolean readOnly, Node node, long before) {
    return readOnly || neverSent(e) || memberDown(node, before) ? Op.Type.FAIL : Op.Type.INFO;
  }

  /** The member was certainly down from before the request until now. */
  public static boolean memberDown(Node node, long before) {
    return (before & 1) == 1 && node.liveness() == before;
  }

  /** A short reason: the status code and its description. */
  public static String why(StatusRuntimeException e) {
    return e.getStatus().getCode() + (e.getStatus().getDescription() == null ? ""
        : ": " + e.getStatus().getDescription());
  }

  /** The connection to the member could not be opened, so the request was never sent. */
  public static boolean neverSent(StatusRuntimeException e) {
    if (e.getStatus().getCode() != Status.Code.UNAVAILABLE) {
      return false;
    }
    for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
      if (t instanceof java.net.ConnectException) {
        return true;
      }
    }
    return false;
  }

  /** Sleeps, keeping the interrupt flag. */
  public static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
