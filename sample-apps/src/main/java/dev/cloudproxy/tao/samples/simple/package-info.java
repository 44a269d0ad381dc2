/**
 * SimpleExample, as in the CloudProxy papers: {@link SimpleDomainService} certifies programs,
 * {@link SimpleServer} hands each authenticated peer a secret made from the peer's principal name,
 * and {@link SimpleClient} fetches its secret over a Tao channel and keeps it protected with its
 * own keys. Each runs as a hosted program; {@code tao demo} runs all three on a fresh domain.
 */
package dev.cloudproxy.tao.samples.simple;
