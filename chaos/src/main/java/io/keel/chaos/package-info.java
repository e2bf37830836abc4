/** Jepsen-style harness: clusters in Docker, nemeses, workloads, histories and checkers. */
package io.keel.chaos;
