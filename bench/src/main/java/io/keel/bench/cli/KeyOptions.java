package io.keel.bench.cli;

import io.keel.bench.load.KeyGenerator;
import java.util.Map;
import picocli.CommandLine.Option;

/** Key/value shape flags of etcd's put-like benchmarks. */
public final class KeyOptions {

  @Option(names = "--key-size", defaultValue = "8", description = "Key size of put request (default: ${DEFAULT-VALUE})")
  int keySize;

  @Option(names = "--val-size", defaultValue = "8", description = "Value size of put request (default: ${DEFAULT-VALUE})")
  int valSize;

  @Option(names = "--sequential-keys", description = "Use sequential keys")
  boolean sequentialKeys;

  @Option(names = "--key-space-size", defaultValue = "1", description = "Maximum possible keys (default: ${DEFAULT-VALUE})")
  long keySpaceSize;

  KeyGenerator generator() {
    return new KeyGenerator(keySize, keySpaceSize, sequentialKeys);
  }

  void addTo(Map<String, Object> params) {
    params.put("key-size", keySize);
    params.put("val-size", valSize);
    params.put("sequential-keys", sequentialKeys);
    params.put("key-space-size", keySpaceSize);
  }
}
