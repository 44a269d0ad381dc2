package dev.cloudproxy.tao.benchmarks;

import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.Says;
import dev.cloudproxy.tao.auth.Speaksfor;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.DomainTemplate;
import dev.cloudproxy.tao.io.AtomicFiles;
import dev.cloudproxy.tao.keys.Argon2Params;
import dev.cloudproxy.tao.keys.Keys;
import dev.cloudproxy.tao.keys.Signer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * What the issuance benchmarks share: a Datalog domain in a temporary directory (on the real
 * disk, so {@code fsync} costs what it costs) that trusts one soft host and one program hash, and
 * that program's attestation for a fresh key, valid for a day.
 */
final class IssuanceFixture implements AutoCloseable {
    private static final char[] PASSWORD = "benchmark".toCharArray();
    static final String HASH = "aa".repeat(32);

    final Path tmp;
    final Keys host;
    final Domain domain;
    final Keys policyKeys;
    final Signer programKey;
    final Prin program;
    final Attestation attestation;

    IssuanceFixture() throws Exception {
        // The temporary directory must be on a disk (not tmpfs) for fsync to cost what it costs.
        tmp = Files.createTempDirectory("issuance-benchmark");
        host = Keys.generate();
        String template = "name = Benchmark Domain\nguard = datalog\n"
                + "rule = forall P: forall Host: forall Hash: TrustedHost(Host) and TrustedProgramHash(Hash) "
                + "and Subprin(P, Host, Hash) implies MemberProgram(P)\n"
                + "rule = forall P: MemberProgram(P) implies Authorized(P, \"Execute\")\n"
                + "host = " + host.principal() + "\nprogram = " + HASH + "\n";
        Path dir = tmp.resolve("domain");
        domain = Domain.create(dir, DomainTemplate.parse(template.getBytes(StandardCharsets.UTF_8), "benchmark"),
                PASSWORD, Argon2Params.FLOOR);
        policyKeys = Keys.load(dir.resolve(Domain.POLICY_KEYS_DIR), PASSWORD);
        programKey = Signer.generate();
        program = host.principal().extend(PrinExt.of("Program", Bytes.ofHex(HASH)));
        long now = Instant.now().getEpochSecond();
        attestation = Attestation.sign(host.signer(),
                Says.during(program, now, now + 86400, new Speaksfor(programKey.principal(), program)));
    }

    @Override
    public void close() throws IOException {
        domain.close();
        host.close();
        policyKeys.close();
        programKey.close();
        AtomicFiles.deleteTree(tmp);
    }
}
