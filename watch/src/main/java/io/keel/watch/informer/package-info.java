/**
 * A list+watch informer over the etcd v3 API (etcd or Keel): a local indexed cache of the keys under a
 * prefix, kept current by a watch that resumes from its last revision and relists after compaction, with
 * add/update/delete callbacks on one thread and optional periodic resync. Start with
 * {@link io.keel.watch.informer.InformerConfig#builder} and {@link io.keel.watch.informer.Informer}; pair it
 * with a {@link io.keel.watch.workqueue.RateLimitingQueue} for controllers.
 */
package io.keel.watch.informer;
