package io.keel.bench.cli;

import org.slf4j.LoggerFactory;

/**
 * Keeps transport debug logging out of benchmark runs: logback's default configuration logs gRPC/Netty at
 * DEBUG, which would both flood the console and slow the client down. Only acts when logback is the binding.
 */
final class LogLevels {

  private LogLevels() {}

  static void quiet() {
    if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext ctx) {
      ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(ch.qos.logback.classic.Level.INFO);
      ctx.getLogger("io.grpc").setLevel(ch.qos.logback.classic.Level.WARN);
      ctx.getLogger("io.netty").setLevel(ch.qos.logback.classic.Level.WARN);
    }
  }
}
