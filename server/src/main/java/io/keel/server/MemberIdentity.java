package io.keel.server;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Member and cluster ids, derived as etcd derives them: a member id is the first 8 bytes of SHA-1 over its
 * sorted peer URLs and the cluster token; the cluster id hashes the sorted member ids. Same flags, same ids.
 */
public record MemberIdentity(long memberId, long clusterId, Map<String, Long> memberIds) {

  public static MemberIdentity of(ServerConfig config) {
    Map<String, Long> ids = new TreeMap<>();
    for (Map.Entry<String, List<URI>> e : config.initialCluster().entrySet()) {
      ids.put(e.getKey(), memberIdOf(e.getValue(), config.initialClusterToken()));
    }
    long[] sorted = ids.values().stream().mapToLong(Long::longValue).sorted().toArray();
    MessageDigest sha = sha1();
    for (long id : sorted) {
      sha.update(longBytes(id));
    }
    long clusterId = firstLong(sha.digest());
    return new MemberIdentity(ids.get(config.name()), clusterId, Map.copyOf(ids));
  }

  static long memberIdOf(List<URI> peerUrls, String token) {
    MessageDigest sha = sha1();
    peerUrls.stream().map(URI::toString).sorted().forEach(s -> sha.update(s.getBytes(StandardCharsets.UTF_8)));
    sha.update(token.getBytes(StandardCharsets.UTF_8));
    long id = firstLong(sha.digest());
    return id == 0 ? 1 : id; // 0 means "none" throughout the etcd API
  }

  private static MessageDigest sha1() {
    try {
      return MessageDigest.getInstance("SHA-1");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK always ships SHA-1", e);
    }
  }

  private static byte[] longBytes(long v) {
    byte[] b = new byte[8];
    for (int i = 7; i >= 0; i--) {
      b[i] = (byte) v;
      v >>>= 8;
    }
    return b;
  }

  private static long firstLong(byte[] digest) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (digest[i] & 0xff);
    }
    return v;
  }
}
