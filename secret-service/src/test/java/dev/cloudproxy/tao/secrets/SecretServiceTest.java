package dev.cloudproxy.tao.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.auth.AuthText;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.channel.ProgramCredentials;
import dev.cloudproxy.tao.channel.RevocationChecker;
import dev.cloudproxy.tao.channel.TaoChannel;
import dev.cloudproxy.tao.channel.TaoChannels;
import dev.cloudproxy.tao.domain.DomainTemplate;
import dev.cloudproxy.tao.domain.PolicyCertificate;
import dev.cloudproxy.tao.domain.ProgramCertificate;
import dev.cloudproxy.tao.domain.RevocationList;
import dev.cloudproxy.tao.guard.DatalogGuard;
import dev.cloudproxy.tao.keys.Argon2Params;
import dev.cloudproxy.tao.keys.Signer;
import dev.cloudproxy.tao.kms.Directive;
import dev.cloudproxy.tao.kms.DirectiveVerifier;
import dev.cloudproxy.tao.kms.DirectoryStore;
import dev.cloudproxy.tao.kms.MasterKey;
import dev.cloudproxy.tao.kms.ObjectId;
import dev.cloudproxy.tao.kms.ObjectMaterial;
import dev.cloudproxy.tao.kms.ObjectName;
import dev.cloudproxy.tao.kms.ObjectType;
import dev.cloudproxy.tao.kms.ProtectedObjects;
import dev.cloudproxy.tao.kms.SignedDirective;
import dev.cloudproxy.tao.kms.Validity;
import dev.cloudproxy.tao.kms.Verb;
import dev.cloudproxy.tao.soft.SoftTao;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The secret service end to end on the soft root, over real Tao channels: programs with their own
 * certificates, the service's objects under a master key sealed by a soft Tao, a Datalog guard,
 * directives signed by the policy key, a CRL.
 */
class SecretServiceTest {
    private static final char[] PASSWORD = "host password".toCharArray();
    private static final ObjectName ZONE = ObjectName.of("/customers");
    private static final ObjectName FOLDER = ObjectName.of("/customers/key/customer-folder-key");
    private static final ObjectName FILE = ObjectName.of("/customers/file/customer-file-1");
    private static final byte[] CONTENT = "customer 1: account 12345".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path tmp;

    private final Signer policy = Signer.generate();
    private final X509Certificate policyCertificate =
            PolicyCertificate.create(policy, "secret service test", DomainTemplate.X509Details.NONE, 30);
    private final List<Signer> keys = new ArrayList<>();
    private final List<AutoCloseable> closeLater = new ArrayList<>();
    private final DatalogGuard guard = DatalogGuard.inMemory();
    private final Set<BigInteger> revoked = new CopyOnWriteArraySet<>();
    private long crlNumber;

    private ProgramCredentials serviceProgram;
    private ProgramCredentials a;
    private ProgramCredentials b;
    private ProgramCredentials c;
    private SoftTao host;

    @BeforeEach
    void setUp() throws Exception {
        serviceProgram = program(1);
        a = program(2);
        b = program(3);
        c = program(4);
        host = SoftTao.create(tmp.resolve("host"), PASSWORD, Argon2Params.FLOOR);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeLater.size() - 1; i >= 0; i--) {
            closeLater.get(i).close();
        }
        keys.forEach(Signer::close);
        policy.close();
    }

    private ProgramCredentials program(int n) throws Exception {
        byte[] hash = new byte[32];
        hash[31] = (byte) n;
        Prin name = Prin.key(new byte[32]).extend(PrinExt.of("Program", new Bytes(hash)));
        Signer key = Signer.generate();
        keys.add(key);
        X509Certificate cert = ProgramCertificate.issue(policy, policyCertificate, key.verifier(), name,
                Duration.ofDays(1), Instant.now());
        return ProgramCredentials.of(key, List.of(cert), policyCertificate);
    }

    /** The service's objects, under a master key sealed by {@code tao} to the service itself. */
    private ProtectedObjects objects(CoreTao tao) throws Exception {
        MasterKey master = MasterKey.openOrCreate(tao, tmp.resolve("service").resolve("master.sealed"),
                CoreTao.SEAL_POLICY_SELF);
        closeLater.add(master);
        return ProtectedObjects.open(master, DirectoryStore.open(tmp.resolve("service").resolve("objects")),
                Clock.systemUTC());
    }

    /** The operator's set-up: the zone and folder keys the programs' files live under. */
    private ProtectedObjects objectsWithKeys(CoreTao tao) throws Exception {
        Files.createDirectories(tmp.resolve("service"));
        ProtectedObjects objects = objects(tao);
        objects.createKey(ZONE, ObjectType.AES_256_GCM, ObjectName.ROOT, Validity.UNBOUNDED);
        objects.createKey(FOLDER, ObjectType.AES_256_GCM, ZONE, Validity.UNBOUNDED);
        return objects;
    }

    private SecretService start(ProtectedObjects objects) throws Exception {
        return start(SecretService.builder(serviceProgram, objects, guard,
                DirectiveVerifier.of(policy.verifier(), Clock.systemUTC())));
    }

    private SecretService start(SecretService.Builder builder) throws Exception {
        SecretService service = builder.auditLog(tmp.resolve("secrets-audit.log")).start();
        closeLater.add(service);
        return service;
    }

    private SecretServiceClient client(SecretService service, ProgramCredentials who) throws IOException {
        SecretServiceClient client = SecretServiceClient.dial(host(), service.address().getPort(), who,
                serviceProgram.principal());
        closeLater.add(client);
        return client;
    }

    private SecretServiceClient client(SecretService service, TaoChannels channels) throws IOException {
        SecretServiceClient client = SecretServiceClient.dial(channels, host(), service.address().getPort());
        closeLater.add(client);
        return client;
    }

    private static String host() {
        return InetAddress.getLoopbackAddress().getHostAddress();
    }

    private static byte[] content(ObjectMaterial material) {
        try (material) {
            return material.exportSecretMaterial();
        }
    }

    private String audit() throws IOException {
        return Files.readString(tmp.resolve("secrets-audit.log"), StandardCharsets.US_ASCII);
    }

    private void grantWrite(ProgramCredentials who, ObjectName name, int epoch) throws Exception {
        guard.authorize(who.principal(), "Write", List.of(name.value(), Integer.toString(epoch)));
    }

    @Test
    void service_programAWrites_programBRefusedUntilOnePolicyCommand_thenReads() throws Exception {
        SecretService service = start(objectsWithKeys(host));
        grantWrite(a, FILE, 1);
        SecretServiceClient clientA = client(service, a);
        SecretServiceClient clientB = client(service, b);

        assertThat(clientA.write(FILE, FOLDER, CONTENT).id()).isEqualTo(new ObjectId(FILE, 1));

        SecretRefusedException refused = assertThrows(SecretRefusedException.class,
                () -> clientB.read(new ObjectId(FILE, 1)));
        assertThat(refused.status()).isEqualTo(SecretResponse.Status.DENIED);
        assertThat(refused).hasMessageContaining("Authorized(P, \"Read\", \"" + FILE + "\", \"1\")");

        // The one policy command.
        guard.authorize(b.principal(), "Read", List.of(FILE.value(), "1"));
        assertThat(content(clientB.readNewest(FILE))).isEqualTo(CONTENT);
        assertThat(content(clientB.read(new ObjectId(FILE, 1)))).isEqualTo(CONTENT);

        // A may write epoch 1 only; the grant does not stretch to the next epoch.
        assertThat(assertThrows(SecretRefusedException.class, () -> clientA.write(FILE, FOLDER, CONTENT)).status())
                .isEqualTo(SecretResponse.Status.DENIED);

        String audit = audit();
        assertThat(audit).contains("\tWRITE\t" + FILE + "#1\tGRANTED\tGUARD\t")
                .contains("\tREAD\t" + FILE + "#1\tDENIED\tGUARD\t").contains("\tREAD\t" + FILE + "#1\tGRANTED\tGUARD\t")
                .contains("\tWRITE\t" + FILE + "#2\tDENIED\tGUARD\t")
                .doesNotContain(new String(CONTENT, StandardCharsets.UTF_8));
    }

    /** Credentials the policy key made for {@code name} (as {@code tao secrets} makes them for an operator). */
    private ProgramCredentials certified(Prin name) throws Exception {
        Signer key = Signer.generate();
        keys.add(key);
        X509Certificate cert = ProgramCertificate.issue(policy, policyCertificate, key.verifier(), name,
                Duration.ofMinutes(10), Instant.now());
        return ProgramCredentials.of(key, List.of(cert), policyCertificate);
    }

    @Test
    void operator_certifiedByThePolicyKey_createsWritesRotatesAndReadsWithoutAGrant_auditedAsOperator()
            throws Exception {
        Prin policyPrincipal = policy.verifier().principal();
        SecretService service = start(SecretService.builder(serviceProgram, objectsWithKeys(host), guard,
                DirectiveVerifier.of(policy.verifier(), Clock.systemUTC())).operatorsOf(policyPrincipal));
        SecretServiceClient operator = client(service,
                certified(SecretService.operatorPrincipal(policyPrincipal, "alice")));

        ObjectName key = ObjectName.of("/customers/key/operator-key");
        assertThat(operator.create(key, ObjectType.AES_256_GCM, ZONE).id()).isEqualTo(new ObjectId(key, 1));
        assertThat(operator.rotate(key).id()).isEqualTo(new ObjectId(key, 2));
        assertThat(operator.write(FILE, FOLDER, CONTENT).id()).isEqualTo(new ObjectId(FILE, 1));
        assertThat(content(operator.readNewest(FILE))).isEqualTo(CONTENT);
        assertThat(audit()).contains("	CREATE	" + key + "#1	GRANTED	OPERATOR	")
                .contains("	READ	" + FILE + "#1	GRANTED	OPERATOR	");
    }

    @Test
    void operator_namesThatOnlyLookLikeOne_orAServiceNotServingOperators_areRefused() throws Exception {
        Prin policyPrincipal = policy.verifier().principal();
        Prin alice = SecretService.operatorPrincipal(policyPrincipal, "alice");
        SecretService serving = start(SecretService.builder(serviceProgram, objectsWithKeys(host), guard,
                DirectiveVerifier.of(policy.verifier(), Clock.systemUTC())).operatorsOf(policyPrincipal));
        // Under another key, one extension too many, or a bytes argument: not an operator.
        Prin otherKey = SecretService.operatorPrincipal(Prin.key(new byte[32]), "alice");
        Prin deeper = alice.extend(PrinExt.of("Program", new Bytes(new byte[32])));
        Prin bytesArg = policyPrincipal.extend(PrinExt.of(SecretService.OPERATOR_EXTENSION, new Bytes(new byte[1])));
        for (Prin name : List.of(otherKey, deeper, bytesArg)) {
            SecretServiceClient client = client(serving, certified(name));
            assertThat(assertThrows(SecretRefusedException.class, () -> client.read(new ObjectId(FOLDER, 1))).status())
                    .as(name.toString()).isEqualTo(SecretResponse.Status.DENIED);
        }
        serving.close();
        SecretService notServing = start(objects(host));
        SecretServiceClient client = client(notServing, certified(alice));
        assertThat(assertThrows(SecretRefusedException.class, () -> client.read(new ObjectId(FOLDER, 1))).status())
                .isEqualTo(SecretResponse.Status.DENIED);
        assertThatThrownBy(() -> SecretService.operatorPrincipal(policyPrincipal, ""))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SecretService.operatorPrincipal(alice, "bob"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void service_readNewestOfAnAbsentName_isDeniedToAProgramThatMayNotReadIt_notFoundToOneThatMay() throws Exception {
        SecretService service = start(objectsWithKeys(host));
        grantWrite(a, FILE, 1);
        SecretServiceClient clientA = client(service, a);
        SecretServiceClient clientB = client(service, b);
        clientA.write(FILE, FOLDER, CONTENT);
        ObjectName absent = ObjectName.of("/customers/file/customer-file-2");

        // B may read neither: an existing and an absent name look the same to it.
        SecretRefusedException existing = assertThrows(SecretRefusedException.class, () -> clientB.readNewest(FILE));
        SecretRefusedException missing = assertThrows(SecretRefusedException.class, () -> clientB.readNewest(absent));
        assertThat(existing.status()).isEqualTo(SecretResponse.Status.DENIED);
        assertThat(missing.status()).isEqualTo(SecretResponse.Status.DENIED);
        assertThat(existing.getMessage()).doesNotContain("\"1\"");
        assertThat(missing.getMessage().replace(absent.value(), FILE.value())).isEqualTo(existing.getMessage());

        // Once B may read epoch 1 of the absent name, it learns that the name has no epoch.
        guard.authorize(b.principal(), "Read", List.of(absent.value(), "1"));
        assertThat(assertThrows(SecretRefusedException.class, () -> clientB.readNewest(absent)).status())
                .isEqualTo(SecretResponse.Status.NOT_FOUND);
        assertThat(audit()).contains("\tREAD\t" + absent + "#1\tDENIED\tGUARD\t");
    }

    @Test
    void service_restartedWithItsHost_servesTheSameObjects() throws Exception {
        SecretService service = start(objectsWithKeys(host));
        grantWrite(a, FILE, 1);
        guard.authorize(b.principal(), "Own", List.of(FILE.value(), "1"));
        try (SecretServiceClient clientA = client(service, a)) {
            clientA.write(FILE, FOLDER, CONTENT);
        }
        service.close();
        host.close();

        // The host restarts (its keys reloaded from disk), and the service unseals its master key again.
        SoftTao restarted = SoftTao.open(tmp.resolve("host"), PASSWORD);
        closeLater.add(restarted);
        SecretService again = start(objects(restarted));
        assertThat(content(client(again, b).readNewest(FILE))).isEqualTo(CONTENT);
    }

    @Test
    void service_rotatedKey_newEpochReadByAuthorizedProgramAndRefusedOnceItIsRevoked() throws Exception {
        RevocationChecker checker = RevocationChecker.builder(policyCertificate, this::crl).build();
        SecretService service = start(SecretService.builder(serviceProgram, objectsWithKeys(host), guard,
                DirectiveVerifier.of(policy.verifier(), Clock.systemUTC())).revocation(checker));
        guard.authorize(a.principal(), "Read", List.of(FOLDER.value(), "1"));
        guard.authorize(a.principal(), "Read", List.of(FOLDER.value(), "2"));
        guard.authorize(c.principal(), "Write", List.of(FOLDER.value(), "2"));
        SecretServiceClient clientA = client(service, a);
        try (ObjectMaterial first = clientA.readNewest(FOLDER)) {
            assertThat(first.info().id().epoch()).isEqualTo(1);
            assertThat(first.length()).isEqualTo(32);
        }

        assertThat(client(service, c).rotate(FOLDER).id()).isEqualTo(new ObjectId(FOLDER, 2));
        try (ObjectMaterial second = clientA.readNewest(FOLDER)) {
            assertThat(second.info().id().epoch()).isEqualTo(2);
        }

        revoked.add(a.certificate().getSerialNumber());
        checker.refresh();
        // Over the channel it already holds: refused from the next request on, and the channel closed.
        SecretRefusedException e = assertThrows(SecretRefusedException.class, () -> clientA.readNewest(FOLDER));
        assertThat(e.status()).isEqualTo(SecretResponse.Status.DENIED);
        assertThat(e).hasMessageContaining("revoked");
        // And a new channel is refused at the handshake.
        assertThrows(IOException.class, () -> client(service, a).readNewest(FOLDER));
        assertThat(audit()).contains("the requester's certificate is revoked");
    }

    @Test
    void service_datalogRuleForAFamily_grantsEveryMemberAndStopsWhenOneIsRetracted() throws Exception {
        ProtectedObjects objects = objectsWithKeys(host);
        SecretService service = start(objects);
        guard.addRule("forall P: forall E: CustomerApp(P) and FolderEpoch(E) implies Authorized(P, \"Read\", \""
                + FOLDER + "\", E)");
        guard.addRule("FolderEpoch(\"1\")");
        guard.addRule("CustomerApp(" + AuthText.print(a.principal()) + ")");
        guard.addRule("CustomerApp(" + AuthText.print(b.principal()) + ")");
        SecretServiceClient clientA = client(service, a);
        SecretServiceClient clientB = client(service, b);
        assertThat(content(clientA.readNewest(FOLDER))).isEqualTo(content(clientB.readNewest(FOLDER)));
        assertThat(assertThrows(SecretRefusedException.class, () -> client(service, c).readNewest(FOLDER)).status())
                .isEqualTo(SecretResponse.Status.DENIED);

        // The operator rotates, publishes the new epoch to the family and retracts A: B gets epoch 2, A does not.
        objects.rotate(FOLDER, Validity.UNBOUNDED);
        guard.addRule("FolderEpoch(\"2\")");
        guard.retractRule("CustomerApp(" + AuthText.print(a.principal()) + ")");
        try (ObjectMaterial second = clientB.readNewest(FOLDER)) {
            assertThat(second.info().id().epoch()).isEqualTo(2);
        }
        assertThat(assertThrows(SecretRefusedException.class, () -> clientA.readNewest(FOLDER)).status())
                .isEqualTo(SecretResponse.Status.DENIED);
    }

    @Test
    void groupKey_createdThroughTheService_makesAFamilyOneSignerTowardOutsiders() throws Exception {
        ObjectName account = ObjectName.of("/customers/key/service-account");
        SecretService service = start(objectsWithKeys(host));
        guard.authorize(a.principal(), "Create", List.of(account.value(), "1"));
        guard.addRule("forall P: CustomerApp(P) implies Authorized(P, \"Read\", \"" + account + "\", \"1\")");
        guard.addRule("CustomerApp(" + AuthText.print(a.principal()) + ")");
        guard.addRule("CustomerApp(" + AuthText.print(b.principal()) + ")");
        assertThat(client(service, a).create(account, ObjectType.ECDSA_P256, ZONE).type()).isEqualTo(ObjectType.ECDSA_P256);
        byte[] request = "GET /ledger as customers".getBytes(StandardCharsets.UTF_8);

        byte[] signedByA;
        dev.cloudproxy.tao.keys.Verifier published;
        try (ObjectMaterial m = client(service, a).readNewest(account); dev.cloudproxy.tao.keys.Signer key = m.signer()) {
            signedByA = key.sign(request);
            published = key.verifier(); // what the legacy system is configured with, once
        }
        try (ObjectMaterial m = client(service, b).readNewest(account); dev.cloudproxy.tao.keys.Signer key = m.signer()) {
            published.verify(request, key.sign(request));
        }
        published.verify(request, signedByA);
        assertThat(assertThrows(SecretRefusedException.class, () -> client(service, c).readNewest(account)).status())
                .isEqualTo(SecretResponse.Status.DENIED);
    }

    @Test
    void service_peersStallingTheirHandshakes_doNotHoldUpAnotherProgram() throws Exception {
        SecretService service = start(objectsWithKeys(host));
        guard.authorize(a.principal(), "Read", List.of(FOLDER.value(), "1"));
        List<java.net.Socket> stalled = new ArrayList<>();
        try {
            // Fewer stallers than acceptors: each holds one acceptor in its handshake, silent.
            for (int i = 0; i < SecretService.ACCEPTORS - 1; i++) {
                stalled.add(new java.net.Socket(InetAddress.getLoopbackAddress(), service.address().getPort()));
            }
            long start = System.nanoTime();
            assertThat(content(client(service, a).readNewest(FOLDER))).hasSize(32);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(TaoChannels.DEFAULT_HANDSHAKE_TIMEOUT);
        } finally {
            for (java.net.Socket s : stalled) {
                s.close();
            }
        }
    }

    private byte[] crl() {
        Instant now = Instant.now();
        List<RevocationList.Entry> entries = revoked.stream().map(s -> new RevocationList.Entry(s, now)).toList();
        try {
            return RevocationList.issue(policy, policyCertificate, entries, BigInteger.valueOf(++crlNumber),
                    now.minusSeconds(60), now.plus(Duration.ofDays(7))).getEncoded();
        } catch (java.security.cert.CRLException ex) {
            throw new IllegalStateException(ex);
        }
    }

    @Test
    void service_directive_grantsItsProgramAndIsRefusedWhenAnotherPresentsIt() throws Exception {
        ProtectedObjects objects = objectsWithKeys(host);
        objects.write(FILE, FOLDER, CONTENT, Validity.UNBOUNDED);
        SecretService service = start(objects);
        Instant now = Instant.now();
        byte[] forB = SignedDirective.sign(new Directive(policy.principal(), Verb.READ, b.principal(),
                new ObjectId(FILE, 1), now.getEpochSecond(), now.plus(Duration.ofHours(1)).getEpochSecond()), policy);

        assertThat(content(client(service, b).material(SecretRequest.readNewest(FILE).withDirective(forB))))
                .isEqualTo(CONTENT);
        SecretRefusedException replayed = assertThrows(SecretRefusedException.class,
                () -> client(service, c).material(SecretRequest.readNewest(FILE).withDirective(forB)));
        assertThat(replayed.status()).isEqualTo(SecretResponse.Status.DENIED);
        assertThat(replayed).hasMessageContaining("directive refused").hasMessageContaining("another principal");
        // A READ directive does not grant a WRITE of the next epoch.
        SecretRefusedException write = assertThrows(SecretRefusedException.class,
                () -> client(service, b).info(SecretRequest.write(FILE, FOLDER, CONTENT).withDirective(forB)));
        assertThat(write.status()).isEqualTo(SecretResponse.Status.DENIED);
        assertThat(audit()).contains("\tREAD\t" + FILE + "#1\tGRANTED\tDIRECTIVE\t")
                .contains("\tREAD\t" + FILE + "#1\tDENIED\tDIRECTIVE\t");
    }

    @Test
    void peerDisclosure_v1HandsItsKeyToASuccessorWithADirective_andToNobodyElse() throws Exception {
        // Program A (v1) keeps its own objects under its own master key and serves them itself.
        ProtectedObjects ownObjects = objectsWithKeys(host);
        SecretService v1 = start(SecretService.peerDisclosure(a, ownObjects,
                DirectiveVerifier.of(policy.verifier(), Clock.systemUTC())));
        Instant now = Instant.now();
        byte[] forB = SignedDirective.sign(new Directive(policy.principal(), Verb.READ, b.principal(),
                new ObjectId(FOLDER, 1), now.getEpochSecond(), now.plus(Duration.ofMinutes(10)).getEpochSecond()),
                policy);
        SecretServiceClient successor = SecretServiceClient.dial(host(), v1.address().getPort(), b, a.principal());
        closeLater.add(successor);
        SecretServiceClient stranger = SecretServiceClient.dial(host(), v1.address().getPort(), c, a.principal());
        closeLater.add(stranger);

        try (ObjectMaterial key = successor.material(SecretRequest.read(new ObjectId(FOLDER, 1)).withDirective(forB));
                ObjectMaterial own = ownObjects.read(new ObjectId(FOLDER, 1))) {
            assertThat(key.exportSecretMaterial()).isEqualTo(own.exportSecretMaterial());
        }
        // Without a directive nobody gets anything, not even by a rule: v1's guard grants nothing.
        guard.authorize(c.principal(), "Read", List.of(FOLDER.value(), "1"));
        assertThat(assertThrows(SecretRefusedException.class, () -> stranger.read(new ObjectId(FOLDER, 1))).status())
                .isEqualTo(SecretResponse.Status.DENIED);
        // B's directive presented by C over C's own channel: refused.
        assertThat(assertThrows(SecretRefusedException.class, () -> stranger.material(
                SecretRequest.read(new ObjectId(FOLDER, 1)).withDirective(forB))))
                .hasMessageContaining("another principal");
        // Nor does it stretch to another object.
        assertThat(assertThrows(SecretRefusedException.class, () -> successor.material(
                SecretRequest.read(new ObjectId(ZONE, 1)).withDirective(forB))).status())
                .isEqualTo(SecretResponse.Status.DENIED);
    }

    @Test
    void service_deleteOfAKeyStillInUse_isRefusedThenErasesItsMaterial() throws Exception {
        ProtectedObjects objects = objectsWithKeys(host);
        objects.write(FILE, FOLDER, CONTENT, Validity.UNBOUNDED);
        SecretService service = start(objects);
        guard.authorize(a.principal(), "Own", List.of(FOLDER.value(), "1"));
        guard.authorize(a.principal(), "Own", List.of(FILE.value(), "1"));
        SecretServiceClient clientA = client(service, a);

        SecretRefusedException inUse = assertThrows(SecretRefusedException.class,
                () -> clientA.delete(new ObjectId(FOLDER, 1)));
        assertThat(inUse.status()).isEqualTo(SecretResponse.Status.REFUSED);

        clientA.delete(new ObjectId(FILE, 1));
        assertThat(assertThrows(SecretRefusedException.class, () -> clientA.read(new ObjectId(FILE, 1))).status())
                .isEqualTo(SecretResponse.Status.UNREADABLE);
    }

    @Test
    void service_malformedRequest_isAnsweredBadRequestAndClosesThatChannelOnly() throws Exception {
        SecretService service = start(objectsWithKeys(host));
        TaoChannels channels = SecretServiceClient.channels(a, serviceProgram.principal()).build();
        try (TaoChannel raw = channels.dial(host(), service.address().getPort())) {
            raw.send("not a request".getBytes(StandardCharsets.US_ASCII));
            SecretResponse answer = SecretProtocol.parseResponse(raw.receive());
            assertThat(answer.status()).isEqualTo(SecretResponse.Status.BAD_REQUEST);
            assertThrows(IOException.class, raw::receive);
        }
        guard.authorize(a.principal(), "Create", List.of("/payroll", "1"));
        assertThat(client(service, a).create(ObjectName.of("/payroll"), ObjectType.AES_256_GCM, ObjectName.ROOT).id())
                .isEqualTo(ObjectId.of("/payroll", 1));
        assertThat(audit()).contains("bad request: not a secret-service request");
    }

    @Test
    void service_morePerPeerConnectionsThanAllowed_areClosedWhileOthersAreServed() throws Exception {
        SecretService service = start(SecretService.builder(serviceProgram, objectsWithKeys(host), guard,
                DirectiveVerifier.of(policy.verifier(), Clock.systemUTC())).maxConnectionsPerPeer(1));
        guard.authorize(a.principal(), "Read", List.of(FOLDER.value(), "1"));
        guard.authorize(b.principal(), "Read", List.of(FOLDER.value(), "1"));
        SecretServiceClient first = client(service, a);
        content(first.readNewest(FOLDER));
        SecretServiceClient second = client(service, a);
        assertThrows(IOException.class, () -> second.readNewest(FOLDER));
        assertThat(content(client(service, b).readNewest(FOLDER))).hasSize(32);
        assertThat(service.connectionsOf(a.principal())).isEqualTo(1);
        assertThat(audit()).contains("too many connections from this principal");
    }
}
