package io.keel.watch.informer;

/**
 * Callbacks an {@link Informer} makes, in revision order, on its one thread. Handlers should be quick
 * (typically: add the key to a work queue); a slow handler slows the informer, which then reads the watch
 * stream more slowly (it never buffers without bound). An exception is logged and counted, not rethrown.
 */
public interface EventHandler<T> {
  /** {@code key} appeared (or is seen for the first time, e.g. by the initial list). */
  default void onAdd(String key, T object) {
  }

  /** {@code key} changed; on a periodic resync {@code oldObject == newObject}. */
  default void onUpdate(String key, T oldObject, T newObject) {
  }

  /** {@code key} was deleted; {@code lastObject} is the last state the cache held. */
  default void onDelete(String key, T lastObject) {
  }
}
