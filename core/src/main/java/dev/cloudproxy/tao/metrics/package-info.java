/**
 * Counters and gauges of the project's servers (domain service, host), in the Prometheus text
 * format, and the opt-in HTTP endpoint that serves them.
 */
package dev.cloudproxy.tao.metrics;
