/**
 * Tao core: the Tao API, keys, attestations, sealing, the soft Tao, domains, guards and the host RPC client.
 *
 * <p>Built by the keys/attestations, domain and host issues; see ARCHITECTURE.md.
 */
package dev.cloudproxy.tao.core;
