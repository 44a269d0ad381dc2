/**
 * The domain service: the CA that validates attestations, asks the guard and issues program certificates.
 *
 * <p>Built by the domains issue.
 */
package dev.cloudproxy.tao.domainservice;
