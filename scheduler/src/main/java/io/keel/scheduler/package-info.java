/** Kubernetes-style objects, the scheduler framework and controllers. Built after the state core. */
package io.keel.scheduler;
