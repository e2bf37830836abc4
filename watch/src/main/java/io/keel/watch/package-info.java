/** etcd watch semantics (ordered, unique, reliable, atomic, resumable, bookmarkable) and the informer cache. */
package io.keel.watch;
