/**
 * Apps with no Tao code at all: a plain-socket echo server and client, and an HTTP server and
 * client on the JDK's {@code com.sun.net.httpserver} and {@code java.net.http.HttpClient}, and a
 * connection setup and throughput benchmark ({@code EchoBench}, plain sockets or JDK TLS). Run
 * under the launcher with channel rules, the agent decides what happens to their connections
 * (docs/launcher.md).
 */
package dev.cloudproxy.tao.samples.plain;
