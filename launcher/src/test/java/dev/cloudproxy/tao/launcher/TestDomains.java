package dev.cloudproxy.tao.launcher;

import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.DomainTemplate;
import dev.cloudproxy.tao.keys.Argon2Params;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
}
