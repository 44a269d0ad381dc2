package dev.cloudproxy.tao.domainservice;

import com.google.protobuf.ByteString;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.DomainServiceProtocol;
import dev.cloudproxy.tao.guard.Guard;
import dev.cloudproxy.tao.guard.GuardException;
import dev.cloudproxy.tao.guard.RuleSetGuard;
import dev.cloudproxy.tao.io.AtomicFiles;
import dev.cloudproxy.tao.proto.DomainServiceProtos.DomainServiceResponse;
import dev.cloudproxy.tao.proto.DomainServiceProtos.DomainServiceStatus;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Answers {@code GET_POLICY}: the domain's signed rule file as it is in the domain directory, for
 * hosts on other machines (docs/domain-service.md, "Policy distribution").
 *
 * <p>It serves only a file that the domain's own guard would load: signed by the policy key, of
 * the guard's kind, and not older than the policy version the guard is using, so a rule file
 * replaced on this machine by a replayed older one is never passed on (the client gets
 * {@code INTERNAL} and keeps what it has). The file is sent as the policy key signed it; clients
 * verify it against the key they pinned and need not trust this service for it.
 */
final class PolicyPublisher {
    private static final System.Logger LOG = System.getLogger(PolicyPublisher.class.getName());

    private final Domain domain;

    PolicyPublisher(Domain domain) {
        this.domain = Objects.requireNonNull(domain, "domain");
    }

    /** The answer to one {@code GET_POLICY} request. */
    DomainServiceResponse answer() {
        Guard guard = domain.guard();
        if (!(guard instanceof RuleSetGuard rules) || rules.file().isEmpty()) {
            return DomainServiceProtocol.failure(DomainServiceStatus.DOMAIN_SERVICE_REFUSED,
                    "this domain's guard (" + domain.guardType().text() + ") has no rule file to distribute");
        }
        Path file = rules.file().get();
        try {
            byte[] signed = AtomicFiles.readAtMost(file, RuleSetGuard.maxFileSize() + 1);
            long version = rules.verifyFile(signed);
            long inUse = rules.policyVersion();
            if (version < inUse) {
                throw new GuardException("the rule file has policy version " + version
                        + ", older than the version in use (" + inUse + ")");
            }
            return DomainServiceResponse.newBuilder()
                    .setStatus(DomainServiceStatus.DOMAIN_SERVICE_OK)
                    .setPolicyRules(ByteString.copyFrom(signed))
                    .build();
        } catch (IOException | GuardException | RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "cannot serve the rule file " + file + ": " + e.getMessage());
            return DomainServiceProtocol.failure(DomainServiceStatus.DOMAIN_SERVICE_INTERNAL,
                    "the service cannot read its rule file");
        }
    }
}
