package dev.cloudproxy.tao.agent.tooling;

import dev.cloudproxy.tao.agent.rules.ChannelRule;
import dev.cloudproxy.tao.agent.rules.ChannelRules;
import dev.cloudproxy.tao.agent.rules.ChannelRulesException;
import dev.cloudproxy.tao.channel.RevocationChecker;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;

/**
 * The agent's options string, {@code key=value} pairs separated by {@code |}: {@code rules=} the
 * channel rules in their one-line form, {@code seal-every=} seconds between periodic seals of
 * {@code @TaoSealed} state (0: only at shutdown and on flush); {@code domain-service=HOST:PORT} and
 * {@code policy-cert=} (base64url of its DER) name the domain whose program certificate Tao
 * channels use, and whose policy certificate is their trust anchor; {@code crl-refresh=} seconds
 * between fetches of the domain's CRL (default 60, 1 to 86400) and {@code crl-stale=} {@code refuse}
 * (the default) or {@code allow} (accept a CRL past its next update, with a warning) say how Tao
 * channels check revocation. The options are part of the
 * program's measurement, which is why everything that changes the agent's behaviour is here and
 * not in the environment.
 */
record AgentOptions(ChannelRules rules, Duration sealEvery, Optional<InetSocketAddress> domainService,
        Optional<X509Certificate> policyCertificate, Duration crlRefresh, boolean crlAllowStale) {
    static final int MAX_CERT_CHARS = 16 * 1024;
    static final int MAX_CHARS = ChannelRules.MAX_TEXT_CHARS + MAX_CERT_CHARS + 1024;
    static final Duration DEFAULT_SEAL_EVERY = Duration.ofSeconds(10);
    static final Duration DEFAULT_CRL_REFRESH = RevocationChecker.DEFAULT_REFRESH_INTERVAL;
    static final long MAX_CRL_REFRESH_SECONDS = 86_400;

    static AgentOptions parse(String options) throws ChannelRulesException {
        ChannelRules rules = ChannelRules.NONE;
        Duration sealEvery = DEFAULT_SEAL_EVERY;
        InetSocketAddress service = null;
        X509Certificate policy = null;
        Duration crlRefresh = DEFAULT_CRL_REFRESH;
        boolean crlAllowStale = false;
        if (options == null || options.isEmpty()) {
            return new AgentOptions(rules, sealEvery, Optional.empty(), Optional.empty(), crlRefresh, crlAllowStale);
        }
        if (options.length() > MAX_CHARS) {
            throw new IllegalArgumentException("agent options are longer than " + MAX_CHARS + " characters");
        }
        for (String pair : options.split("\\|")) {
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : pair.substring(eq + 1);
            switch (key) {
                case "rules" -> rules = ChannelRules.parse(value);
                case "seal-every" -> {
                    if (!value.matches("\\d{1,6}")) {
                        throw new IllegalArgumentException("seal-every must be a number of seconds");
                    }
                    sealEvery = Duration.ofSeconds(Long.parseLong(value));
                }
                case "domain-service" -> service = hostPort(value);
                case "policy-cert" -> policy = certificate(value);
                case "crl-refresh" -> {
                    if (!value.matches("\\d{1,5}") || Long.parseLong(value) < 1
                            || Long.parseLong(value) > MAX_CRL_REFRESH_SECONDS) {
                        throw new IllegalArgumentException("crl-refresh must be a number of seconds from 1 to "
                                + MAX_CRL_REFRESH_SECONDS);
                    }
                    crlRefresh = Duration.ofSeconds(Long.parseLong(value));
                }
                case "crl-stale" -> crlAllowStale = switch (value) {
                    case "refuse" -> false;
                    case "allow" -> true;
                    default -> throw new IllegalArgumentException("crl-stale must be refuse or allow");
                };
                default -> throw new IllegalArgumentException("unknown agent option '"
                        + key.replaceAll("[^\\x20-\\x7e]", "?") + "'");
            }
        }
        if ((service == null) != (policy == null)) {
            throw new IllegalArgumentException("domain-service and policy-cert go together");
        }
        return new AgentOptions(rules, sealEvery, Optional.ofNullable(service), Optional.ofNullable(policy),
                crlRefresh, crlAllowStale);
    }

    /**
     * Refuses {@code TAO} rules without the domain: with no way to get Tao channel credentials,
     * every connection they select would fail, and a server under an {@code in ... TAO} rule
     * would die at its first bind. Better one line before the program runs.
     */
    void requireDomainForTao() {
        if (rules.needsTao() && domainService.isEmpty()) {
            ChannelRule first = rules.rules().stream().filter(r -> r.action() == ChannelRule.Action.TAO)
                    .findFirst().orElseThrow();
            throw new IllegalArgumentException("the rule '" + first + "' needs Tao channels, but the agent options "
                    + "name no domain (domain-service and policy-cert)");
        }
    }

    /** {@code HOST:PORT} or {@code [IPv6]:PORT}; not resolved here. */
    static InetSocketAddress hostPort(String value) {
        int colon = value.lastIndexOf(':');
        if (colon <= 0 || value.length() > 300 || !value.substring(colon + 1).matches("\\d{1,5}")) {
            throw new IllegalArgumentException("domain-service must be HOST:PORT");
        }
        String host = value.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port = Integer.parseInt(value.substring(colon + 1));
        if (port < 1 || port > 65535 || !host.matches("[A-Za-z0-9.:_-]+")) {
            throw new IllegalArgumentException("domain-service must be HOST:PORT");
        }
        return InetSocketAddress.createUnresolved(host, port);
    }

    static X509Certificate certificate(String base64url) {
        if (base64url.length() > MAX_CERT_CHARS) {
            throw new IllegalArgumentException("policy-cert is too long");
        }
        try {
            byte[] der = Base64.getUrlDecoder().decode(base64url);
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
        } catch (IllegalArgumentException | CertificateException | ClassCastException e) {
            throw new IllegalArgumentException("policy-cert is not a base64url X.509 certificate");
        }
    }
}
