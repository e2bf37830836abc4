package io.keel.watch.informer;

import io.grpc.Channel;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * What an {@link Informer} watches and how: the key prefix, the value decoder, paging, resync, backoff
 * and buffer bounds. Build with {@link #builder}.
 */
public final class InformerConfig<T> {
  final String name;
  final Channel channel;
  final String prefix;
  final Decoder<T> decoder;
  final int pageSize;
  final int maxObjects;
  final long resyncPeriodMs;
  final long requestTimeoutMs;
  final long initialBackoffMs;
  final long maxBackoffMs;
  final int watchBufferResponses;
  final MeterRegistry registry;
  final Map<String, Function<T, Collection<String>>> indexers;

  private InformerConfig(Builder<T> b) {
    this.name = Objects.requireNonNull(b.name, "name");
    this.channel = Objects.requireNonNull(b.channel, "channel");
    this.prefix = Objects.requireNonNull(b.prefix, "prefix");
    this.decoder = Objects.requireNonNull(b.decoder, "decoder");
    this.pageSize = positive("pageSize", b.pageSize);
    this.maxObjects = positive("maxObjects", b.maxObjects);
    if (b.resyncPeriodMs < 0) {
      throw new IllegalArgumentException("resyncPeriodMs must be >= 0 (0 = off): " + b.resyncPeriodMs);
    }
    this.resyncPeriodMs = b.resyncPeriodMs;
    this.requestTimeoutMs = positive("requestTimeoutMs", b.requestTimeoutMs);
    this.initialBackoffMs = positive("initialBackoffMs", b.initialBackoffMs);
    this.maxBackoffMs = positive("maxBackoffMs", b.maxBackoffMs);
    if (maxBackoffMs < initialBackoffMs) {
      throw new IllegalArgumentException("maxBackoffMs < initialBackoffMs");
    }
    this.watchBufferResponses = (int) positive("watchBufferResponses", b.watchBufferResponses);
    if (watchBufferResponses > 10_000) {
      throw new IllegalArgumentException("watchBufferResponses must be <= 10000: " + watchBufferResponses);
    }
    this.registry = Objects.requireNonNull(b.registry, "registry");
    this.indexers = Map.copyOf(b.indexers);
  }

  private static int positive(String what, int v) {
    if (v < 1) {
      throw new IllegalArgumentException(what + " must be >= 1: " + v);
    }
    return v;
  }

  private static long positive(String what, long v) {
    if (v < 1) {
      throw new IllegalArgumentException(what + " must be >= 1: " + v);
    }
    return v;
  }

  public static <T> Builder<T> builder(Channel channel, String prefix, Decoder<T> decoder) {
    return new Builder<>(channel, prefix, decoder);
  }

  /** Builder with defaults: page 500, at most 1,000,000 objects, no resync, 10 s requests, 100 ms..5 s backoff. */
  public static final class Builder<T> {
    private final Channel channel;
    private final String prefix;
    private final Decoder<T> decoder;
    private String name = "informer";
    private int pageSize = 500;
    private int maxObjects = 1_000_000;
    private long resyncPeriodMs;
    private long requestTimeoutMs = 10_000;
    private long initialBackoffMs = 100;
    private long maxBackoffMs = 5_000;
    private long watchBufferResponses = 64;
    private MeterRegistry registry = new SimpleMeterRegistry();
    private final Map<String, Function<T, Collection<String>>> indexers = new LinkedHashMap<>();

    private Builder(Channel channel, String prefix, Decoder<T> decoder) {
      this.channel = channel;
      this.prefix = prefix;
      this.decoder = decoder;
    }

    public Builder<T> name(String v) {
      name = v;
      return this;
    }

    /** Keys per Range page of a list. */
    public Builder<T> pageSize(int v) {
      pageSize = v;
      return this;
    }

    /** A list with more objects than this fails (and is retried) rather than filling memory. */
    public Builder<T> maxObjects(int v) {
      maxObjects = v;
      return this;
    }

    /** Every period, re-deliver {@code onUpdate(o, o)} for all cached objects; 0 = never. */
    public Builder<T> resyncPeriodMs(long v) {
      resyncPeriodMs = v;
      return this;
    }

    public Builder<T> requestTimeoutMs(long v) {
      requestTimeoutMs = v;
      return this;
    }

    public Builder<T> backoffMs(long initial, long max) {
      initialBackoffMs = initial;
      maxBackoffMs = max;
      return this;
    }

    /** Watch responses read ahead of the handlers (gRPC flow control keeps the rest on the server). */
    public Builder<T> watchBufferResponses(int v) {
      watchBufferResponses = v;
      return this;
    }

    public Builder<T> registry(MeterRegistry v) {
      registry = v;
      return this;
    }

    /** A secondary index: {@code fn} maps an object to the values it is found under. */
    public Builder<T> index(String indexName, Function<T, Collection<String>> fn) {
      indexers.put(Objects.requireNonNull(indexName), Objects.requireNonNull(fn));
      return this;
    }

    public InformerConfig<T> build() {
      return new InformerConfig<>(this);
    }
  }
}
