/**
 * How implementations of the Tao API plug in: {@link dev.cloudproxy.tao.spi.TaoProvider}, bound by
 * the Tao agent or found as a service ({@code tao-core}). Not for applications.
 */
package dev.cloudproxy.tao.spi;
