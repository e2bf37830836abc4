package io.keel.watch.informer;

import com.google.protobuf.ByteString;

/**
 * Turns a stored value into the informer's object type. A decoder that throws makes the informer treat
 * the key as absent (it is counted and logged, and a cached copy is removed with a delete callback), so a
 * bad value never stops the informer.
 */
@FunctionalInterface
public interface Decoder<T> {
  T decode(String key, ByteString value) throws Exception;
}
