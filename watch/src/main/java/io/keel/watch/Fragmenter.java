package io.keel.watch;

import io.keel.proto.etcdserverpb.WatchResponse;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a response whose size reaches the request limit into fragments as etcd 3.4 does: each fragment holds
 * events until adding one more would reach the limit (a fragment always holds at least one event); every
 * fragment but the last has {@code fragment=true}. Responses below the limit or with fewer than two events are
 * sent whole.
 */
final class Fragmenter {
  private Fragmenter() {}

  static List<WatchResponse> split(WatchResponse r, int maxBytes) {
    if (r.getSerializedSize() < maxBytes || r.getEventsCount() < 2) {
      return List.of(r);
    }
    List<WatchResponse> out = new ArrayList<>();
    WatchResponse.Builder base = r.toBuilder().clearEvents().setFragment(true);
    int baseSize = base.build().getSerializedSize();
    int i = 0;
    int n = r.getEventsCount();
    while (i < n) {
      WatchResponse.Builder cur = base.clone();
      int size = baseSize;
      int count = 0;
      while (i < n) {
        int evSize = r.getEvents(i).getSerializedSize();
        int added = 1 + com.google.protobuf.CodedOutputStream.computeUInt32SizeNoTag(evSize) + evSize;
        if (count > 0 && size + added >= maxBytes) {
          break;
        }
        cur.addEvents(r.getEvents(i));
        size += added;
        count++;
        i++;
      }
      if (i == n) {
        cur.setFragment(false);
      }
      out.add(cur.build());
    }
    return out;
  }
}
