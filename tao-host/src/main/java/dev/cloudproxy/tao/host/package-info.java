/**
 * The host daemon: hosted-program factories, the RPC server, the admin API and stacked hosts.
 *
 * <p>Built by the Linux host issue.
 */
package dev.cloudproxy.tao.host;
