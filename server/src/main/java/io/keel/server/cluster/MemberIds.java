package io.keel.server.cluster;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * Ids for members added at run time, derived as etcd's MemberAdd derives them: the first 8 bytes of SHA-1 over
 * the sorted peer URLs, the cluster name (empty for MemberAdd, as in etcd 3.4) and the time in Unix seconds.
 * Keel clears the top bit (Raft ids are positive longs) and never hands out 0 ("none").
 */
public final class MemberIds {
  private MemberIds() {}

  public static long of(List<String> peerUrls, String clusterName, long unixSeconds) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-1");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK always ships SHA-1", e);
    }
    peerUrls.stream().sorted().forEach(u -> sha.update(u.getBytes(StandardCharsets.UTF_8)));
    sha.update(clusterName.getBytes(StandardCharsets.UTF_8));
    sha.update(Long.toString(unixSeconds).getBytes(StandardCharsets.UTF_8));
    byte[] d = sha.digest();
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (d[i] & 0xff);
    }
    v &= Long.MAX_VALUE;
    return v == 0 ? 1 : v;
  }
}
