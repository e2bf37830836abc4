package io.keel.kvstore;

/** A request failed with an etcd API error; the server maps {@link #error()} to a gRPC status. */
public final class EtcdException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final EtcdError error;

  public EtcdException(EtcdError error) {
    super(error.message(), null, false, false);
    this.error = error;
  }

  public EtcdError error() {
    return error;
  }
}
