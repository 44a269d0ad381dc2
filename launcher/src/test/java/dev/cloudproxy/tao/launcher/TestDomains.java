package dev.cloudproxy.tao.launcher;

import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.DomainTemplate;
import dev.cloudproxy.tao.keys.Argon2Params;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import dev.cloudproxy.tao.channel.ProgramCredentials;
import dev.cloudproxy.tao.channel.TaoChannels;
import dev.cloudproxy.tao.domainservice.DomainService;
import dev.cloudproxy.tao.paradigm.TaoParadigm;
import dev.cloudproxy.tao.soft.SoftTao;
import java.nio.file.Path;
import java.util.stream.Collectors;

/** Domains for the launcher's channel tests. */
final class TestDomains {
    private TestDomains() {}

    /**
     * A domain in {@code dir} made from the project's template with a liberal guard and no rules,
     * so its domain service certifies every attested program (the tests are about channels, not policy).
     */
    static Domain liberal(Path dir, char[] password) throws Exception {
        String template = Files.readAllLines(Path.of("..", "docs", "domain_template.txt")).stream()
                .filter(l -> !l.startsWith("rule"))
                .map(l -> l.startsWith("guard") ? "guard = liberal" : l)
                .collect(Collectors.joining("\n", "", "\n"));
        return Domain.create(dir, DomainTemplate.parse(template.getBytes(StandardCharsets.UTF_8), "template"), password,
                Argon2Params.FLOOR);
    }

    /** Tao channels for a server in {@code domain}: a soft Tao's paradigm in {@code state}, certified by {@code service}. */
    static TaoChannels serverChannels(SoftTao tao, Domain domain, DomainService service, Path state) throws Exception {
        TaoParadigm p = TaoParadigm.builder(tao, state).policyCertificate(domain.policyCertificate())
                .domainService(service.address()).open();
        return TaoChannels.of(ProgramCredentials.of(p.signer(), p.certificateChain(), p.policyCertificate()));
    }
}
