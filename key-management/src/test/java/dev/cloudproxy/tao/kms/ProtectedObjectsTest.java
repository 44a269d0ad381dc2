package dev.cloudproxy.tao.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.UnsealException;
import dev.cloudproxy.tao.keys.Crypter;
import dev.cloudproxy.tao.soft.SoftTao;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The acceptance tests of issue 15 for chains, rotation, retirement and zones, on a real soft Tao. */
class ProtectedObjectsTest {
    static final ObjectName ZONE = ObjectName.of("/customers");
    static final ObjectName FOLDER_KEY = ObjectName.of("/customers/key/customer-folder-key");
    static final ObjectName FILE_KEY = ObjectName.of("/customers/key/customer-file-1-key");
    static final ObjectName FILE = ObjectName.of("/customers/file/customer-file-1");
    static final byte[] CONTENT = "the customer's file".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    private SoftTao tao;
    private MasterKey master;
    private DirectoryStore store;
    private Clock clock;
    private ProtectedObjects objects;

    @BeforeEach
    void setUp() throws Exception {
        tao = SoftTao.ephemeral();
        master = MasterKey.openOrCreate(tao, dir.resolve("master.sealed"), CoreTao.SEAL_POLICY_SELF);
        store = DirectoryStore.open(dir.resolve("store"));
        clock = Clock.fixed(Instant.parse("2026-12-07T12:00:00Z"), ZoneOffset.UTC);
        objects = ProtectedObjects.open(master, store, clock);
    }

    @AfterEach
    void tearDown() {
        master.close();
        tao.close();
    }

    /** master -> zone key -> folder key -> file key -> file. */
    private ObjectInfo buildChain() throws Exception {
        objects.createKey(ZONE, ObjectType.AES_256_GCM, ObjectName.ROOT, Validity.UNBOUNDED);
        objects.createKey(FOLDER_KEY, ObjectType.AES_256_GCM, ZONE, Validity.UNBOUNDED);
        objects.createKey(FILE_KEY, ObjectType.AES_256_GCM, FOLDER_KEY, Validity.UNBOUNDED);
        return objects.write(FILE, FILE_KEY, CONTENT, Validity.UNBOUNDED);
    }

    private byte[] contentOf(ObjectId id) throws Exception {
        try (ObjectMaterial m = objects.read(id)) {
            return m.exportSecretMaterial();
        }
    }

    @Test
    void read_fourLinkChain_returnsContent() throws Exception {
        ObjectInfo file = buildChain();
        assertThat(file.id()).isEqualTo(new ObjectId(FILE, 1));
        assertThat(contentOf(file.id())).isEqualTo(CONTENT);
        try (ObjectMaterial key = objects.readNewest(FOLDER_KEY)) {
            assertThat(key.length()).isEqualTo(32);
            assertThat(key.toString()).contains("redacted").doesNotContain(java.util.Arrays.toString(key.exportSecretMaterial()));
        }
    }

    @Test
    void groupKey_ecdsaP256_signsAsOneKeyAcrossReads_rotatesToAnother_andProtectsNothing() throws Exception {
        ObjectName signing = ObjectName.of("/customers/key/service-account");
        objects.createKey(ZONE, ObjectType.AES_256_GCM, ObjectName.ROOT, Validity.UNBOUNDED);
        objects.createKey(signing, ObjectType.ECDSA_P256, ZONE, Validity.UNBOUNDED);
        byte[] message = "a request to a legacy system".getBytes(StandardCharsets.UTF_8);

        dev.cloudproxy.tao.keys.Verifier first;
        try (ObjectMaterial m = objects.readNewest(signing); dev.cloudproxy.tao.keys.Signer s = m.signer();
                ObjectMaterial again = objects.read(new ObjectId(signing, 1));
                dev.cloudproxy.tao.keys.Signer s2 = again.signer()) {
            first = s.verifier();
            assertThat(s2.verifier()).isEqualTo(first);
            first.verify(message, s2.sign(message));
        }
        objects.rotate(signing, Validity.UNBOUNDED);
        try (ObjectMaterial m = objects.readNewest(signing); dev.cloudproxy.tao.keys.Signer s = m.signer()) {
            assertThat(m.info().id().epoch()).isEqualTo(2);
            assertThat(s.verifier()).isNotEqualTo(first);
        }
        assertThatThrownBy(() -> objects.createKey(ObjectName.of("/customers/key/under-signer"), ObjectType.AES_256_GCM,
                signing, Validity.UNBOUNDED)).isInstanceOf(ObjectUnreadableException.class).hasMessageContaining("protects nothing");
        try (ObjectMaterial zoneKey = objects.readNewest(ZONE)) {
            assertThatThrownBy(zoneKey::signer).isInstanceOf(IllegalStateException.class).hasMessageContaining("not an ecdsa-p256");
        }
        assertThat(ObjectType.parse("ecdsa-p256")).isEqualTo(ObjectType.ECDSA_P256);
        assertThat(ObjectType.fromCode(4)).contains(ObjectType.ECDSA_P256);
    }

    @Test
    void read_afterReopenWithSameTao_returnsContent() throws Exception {
        ObjectInfo file = buildChain();
        master.close();
        master = MasterKey.openOrCreate(tao, dir.resolve("master.sealed"), CoreTao.SEAL_POLICY_SELF);
        objects = ProtectedObjects.open(master, DirectoryStore.open(dir.resolve("store")), clock);
        assertThat(contentOf(file.id())).isEqualTo(CONTENT);
    }

    @Test
    void masterKey_otherProgramOrPolicy_isRefused() throws Exception {
        buildChain();
        try (SoftTao other = SoftTao.ephemeral()) {
            assertThatThrownBy(() -> MasterKey.openOrCreate(other, dir.resolve("master.sealed"), CoreTao.SEAL_POLICY_SELF))
                    .isInstanceOf(UnsealException.class);
        }
        assertThatThrownBy(() -> MasterKey.openOrCreate(tao, dir.resolve("master.sealed"), CoreTao.SEAL_POLICY_ANY))
                .isInstanceOf(UnsealException.class);
    }

    @Test
    void read_everyBitFlipOfEveryLink_isRefused() throws Exception {
        buildChain();
        for (ObjectId id : store.list()) {
            byte[] good = store.get(id).orElseThrow();
            for (int bit = 0; bit < good.length * 8; bit++) {
                byte[] bad = good.clone();
                bad[bit / 8] ^= (byte) (1 << (bit % 8));
                store.put(id, bad);
                assertThatThrownBy(() -> objects.read(new ObjectId(FILE, 1)))
                        .as("%s bit %d", id, bit).isInstanceOf(ObjectUnreadableException.class);
            }
            store.put(id, good);
        }
        assertThat(contentOf(new ObjectId(FILE, 1))).isEqualTo(CONTENT);
    }

    @Test
    void read_truncatedLink_isRefused() throws Exception {
        buildChain();
        ObjectId key = new ObjectId(FILE_KEY, 1);
        byte[] good = store.get(key).orElseThrow();
        for (int n : new int[] {0, 1, good.length / 2, good.length - 17, good.length - 1}) {
            store.put(key, java.util.Arrays.copyOf(good, n));
            assertThatThrownBy(() -> objects.read(new ObjectId(FILE, 1))).isInstanceOf(ObjectUnreadableException.class);
        }
    }

    @Test
    void read_wrappedKeySwappedBetweenObjects_isRefused() throws Exception {
        buildChain();
        // Both keys are protected by keys of the same zone; the folder key's link holds the folder
        // key under the zone key. Filed as the file key, or with its wrapped bytes moved into the
        // file key's link, it must not be accepted.
        byte[] folder = store.get(new ObjectId(FOLDER_KEY, 1)).orElseThrow();
        store.put(new ObjectId(FILE_KEY, 1), folder);
        assertThatThrownBy(() -> objects.read(new ObjectId(FILE_KEY, 1))).isInstanceOf(ObjectUnreadableException.class);

        Link folderLink = Link.parse(folder);
        Link forged = new Link(folderLink.protector(), new ObjectInfo(new ObjectId(FILE_KEY, 1), ObjectType.AES_256_GCM,
                ObjectStatus.ACTIVE, 0, Long.MAX_VALUE), folderLink.wrapped());
        store.put(new ObjectId(FILE_KEY, 1), forged.encode());
        assertThatThrownBy(() -> objects.read(new ObjectId(FILE_KEY, 1))).isInstanceOf(ObjectUnreadableException.class);
    }

    @Test
    void read_wrappedKeySwappedBetweenEpochs_isRefused() throws Exception {
        buildChain();
        objects.rotate(FILE_KEY, Validity.UNBOUNDED);
        // Epoch 2's link relabelled as epoch 1, and epoch 1's wrapped key under epoch 2's header.
        Link one = Link.parse(store.get(new ObjectId(FILE_KEY, 1)).orElseThrow());
        Link two = Link.parse(store.get(new ObjectId(FILE_KEY, 2)).orElseThrow());
        store.put(new ObjectId(FILE_KEY, 1), new Link(two.protector(), one.info(), two.wrapped()).encode());
        store.put(new ObjectId(FILE_KEY, 2), new Link(one.protector(), two.info(), one.wrapped()).encode());
        assertThatThrownBy(() -> objects.read(new ObjectId(FILE_KEY, 1))).isInstanceOf(ObjectUnreadableException.class);
        assertThatThrownBy(() -> objects.read(new ObjectId(FILE_KEY, 2))).isInstanceOf(ObjectUnreadableException.class);
    }

    @Test
    void read_statusOrWindowChangedInStore_isRefused() throws Exception {
        buildChain();
        Link link = Link.parse(store.get(new ObjectId(FILE, 1)).orElseThrow());
        ObjectInfo widened = new ObjectInfo(link.info().id(), ObjectType.FILE, ObjectStatus.ACTIVE, 0, 5);
        store.put(link.info().id(), new Link(link.protector(), widened, link.wrapped()).encode());
        assertThatThrownBy(() -> objects.read(link.info().id())).isInstanceOf(KeyManagementException.class);
        ObjectInfo asKey = new ObjectInfo(link.info().id(), ObjectType.HMAC_SHA256, ObjectStatus.ACTIVE, 0, Long.MAX_VALUE);
        store.put(link.info().id(), new Link(link.protector(), asKey, link.wrapped()).encode());
        assertThatThrownBy(() -> objects.read(link.info().id())).isInstanceOf(ObjectUnreadableException.class);
    }

    @Test
    void read_outsideValidityWindow_isRefused() throws Exception {
        objects.createKey(ZONE, ObjectType.AES_256_GCM, ObjectName.ROOT, Validity.UNBOUNDED);
        objects.createKey(FOLDER_KEY, ObjectType.AES_256_GCM, ZONE, Validity.starting(clock.instant(), Duration.ofDays(1)));
        assertThat(objects.read(new ObjectId(FOLDER_KEY, 1)).length()).isEqualTo(32);
        objects = ProtectedObjects.open(master, store, Clock.offset(clock, Duration.ofDays(2)));
        assertThatThrownBy(() -> objects.read(new ObjectId(FOLDER_KEY, 1))).isInstanceOf(ObjectNotValidException.class);
        assertThatThrownBy(() -> objects.newestActive(FOLDER_KEY)).isInstanceOf(ObjectNotFoundException.class);
    }

    @Test
    void rotate_writesUseNewEpochAndOldEpochStillDecrypts() throws Exception {
        ObjectInfo before = buildChain();
        ObjectInfo two = objects.rotate(FILE_KEY, Validity.UNBOUNDED);
        assertThat(two.id()).isEqualTo(new ObjectId(FILE_KEY, 2));
        assertThat(objects.newestActive(FILE_KEY)).isEqualTo(two.id());

        ObjectInfo after = objects.write(FILE, FILE_KEY, "second".getBytes(StandardCharsets.UTF_8), Validity.UNBOUNDED);
        assertThat(Link.parse(store.get(after.id()).orElseThrow()).protector()).isEqualTo(two.id());
        assertThat(Link.parse(store.get(before.id()).orElseThrow()).protector()).isEqualTo(new ObjectId(FILE_KEY, 1));
        assertThat(contentOf(before.id())).isEqualTo(CONTENT);
        assertThat(contentOf(after.id())).isEqualTo("second".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void retire_whileDependedOn_isRefusedThenErasesMaterial() throws Exception {
        ObjectInfo file = buildChain();
        ObjectId one = new ObjectId(FILE_KEY, 1);
        byte[] oldFileLink = store.get(file.id()).orElseThrow();
        objects.rotate(FILE_KEY, Validity.UNBOUNDED);

        assertThatThrownBy(() -> objects.retire(one)).isInstanceOf(RetireRefusedException.class)
                .hasMessageContaining("1 active object");

        assertThat(objects.rewrap(one)).isEqualTo(1);
        assertThat(contentOf(file.id())).isEqualTo(CONTENT);
        objects.retire(one);

        assertThat(Link.parse(store.get(one).orElseThrow()).wrapped()).isEmpty();
        assertThat(objects.epochs(FILE_KEY)).extracting(ObjectInfo::status)
                .containsExactly(ObjectStatus.RETIRED, ObjectStatus.ACTIVE);
        assertThatThrownBy(() -> objects.read(one)).isInstanceOf(ObjectUnreadableException.class)
                .hasMessageContaining("retired");
        // An old copy of the file's link, still under epoch 1, no longer decrypts.
        store.put(file.id(), oldFileLink);
        assertThatThrownBy(() -> objects.read(file.id())).isInstanceOf(ObjectUnreadableException.class);
    }

    @Test
    void revoke_whileDependedOn_isRefused_thenErasesMaterialAndSaysRevoked_alsoForARetiredEpoch() throws Exception {
        ObjectInfo file = buildChain();
        ObjectId one = new ObjectId(FILE_KEY, 1);
        objects.rotate(FILE_KEY, Validity.UNBOUNDED);
        assertThatThrownBy(() -> objects.revoke(one)).isInstanceOf(RetireRefusedException.class);

        objects.rewrap(one);
        objects.revoke(one);
        assertThat(Link.parse(store.get(one).orElseThrow()).wrapped()).isEmpty();
        assertThat(objects.epochs(FILE_KEY)).extracting(ObjectInfo::status)
                .containsExactly(ObjectStatus.REVOKED, ObjectStatus.ACTIVE);
        assertThatThrownBy(() -> objects.read(one)).isInstanceOf(ObjectUnreadableException.class);
        // Revoked stays revoked: retiring it again changes nothing.
        objects.retire(one);
        assertThat(objects.epochs(FILE_KEY).get(0).status()).isEqualTo(ObjectStatus.REVOKED);
        assertThat(contentOf(file.id())).isEqualTo(CONTENT);

        ObjectId folderOne = new ObjectId(FOLDER_KEY, 1);
        objects.rotate(FOLDER_KEY, Validity.UNBOUNDED);
        objects.rewrap(folderOne);
        objects.retire(folderOne);
        objects.revoke(folderOne);
        assertThat(objects.epochs(FOLDER_KEY).get(0).status()).isEqualTo(ObjectStatus.REVOKED);
    }

    @Test
    void rewrap_movesOnlyDirectChildrenAndIsIdempotent() throws Exception {
        buildChain();
        objects.createKey(ObjectName.of("/customers/key/other"), ObjectType.HMAC_SHA256, FOLDER_KEY, Validity.UNBOUNDED);
        objects.rotate(FOLDER_KEY, Validity.UNBOUNDED);
        assertThat(objects.rewrap(new ObjectId(FOLDER_KEY, 1))).isEqualTo(2);
        assertThat(objects.rewrap(new ObjectId(FOLDER_KEY, 1))).isZero();
        assertThat(objects.pendingRewrap()).isEmpty();
        assertThat(contentOf(new ObjectId(FILE, 1))).isEqualTo(CONTENT);
        objects.retire(new ObjectId(FOLDER_KEY, 1));
        assertThat(contentOf(new ObjectId(FILE, 1))).isEqualTo(CONTENT);
    }

    @Test
    void rewrap_withoutNewerEpoch_isRefused() throws Exception {
        buildChain();
        assertThatThrownBy(() -> objects.rewrap(new ObjectId(FILE_KEY, 1))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void zones_oneZoneKeyDisclosed_otherZoneStaysUnreadable() throws Exception {
        buildChain();
        ObjectName otherZone = ObjectName.of("/payroll");
        objects.createKey(otherZone, ObjectType.AES_256_GCM, ObjectName.ROOT, Validity.UNBOUNDED);
        objects.createKey(ObjectName.of("/payroll/key/k"), ObjectType.AES_256_GCM, otherZone, Validity.UNBOUNDED);
        objects.write(ObjectName.of("/payroll/file/salaries"), ObjectName.of("/payroll/key/k"), CONTENT, Validity.UNBOUNDED);

        byte[] disclosed;
        try (ObjectMaterial zoneKey = objects.readNewest(ZONE)) {
            disclosed = zoneKey.exportSecretMaterial();
        }
        // With the customers zone key, try every link of the payroll zone.
        try (Crypter attacker = Crypter.fromSecretKeyMaterial(disclosed)) {
            for (ObjectId id : store.list()) {
                if (!id.name().zone().equals("payroll")) {
                    continue;
                }
                Link link = Link.parse(store.get(id).orElseThrow());
                assertThatThrownBy(() -> attacker.decrypt(link.wrapped(), Link.associatedData(link.protector(), link.info())))
                        .as("%s", id).isInstanceOf(dev.cloudproxy.tao.DecryptionException.class);
            }
        }
    }

    @Test
    void put_crossZoneOrNonZoneUnderMaster_isRefused() throws Exception {
        buildChain();
        objects.createKey(ObjectName.of("/payroll"), ObjectType.AES_256_GCM, ObjectName.ROOT, Validity.UNBOUNDED);
        assertThatThrownBy(() -> objects.createKey(ObjectName.of("/payroll/key/k"), ObjectType.AES_256_GCM, ZONE,
                Validity.UNBOUNDED)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> objects.createKey(ObjectName.of("/payroll/key/k"), ObjectType.AES_256_GCM,
                ObjectName.ROOT, Validity.UNBOUNDED)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> objects.createKey(ObjectName.of("/other"), ObjectType.AES_256_GCM, ZONE,
                Validity.UNBOUNDED)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> objects.write(ObjectName.of("/customers/file/x"), FILE, CONTENT, Validity.UNBOUNDED))
                .isInstanceOf(ObjectUnreadableException.class);
    }

    @Test
    void read_linkClaimingForeignZoneProtector_isRefused() throws Exception {
        buildChain();
        objects.createKey(ObjectName.of("/payroll"), ObjectType.AES_256_GCM, ObjectName.ROOT, Validity.UNBOUNDED);
        Link link = Link.parse(store.get(new ObjectId(FOLDER_KEY, 1)).orElseThrow());
        store.put(link.info().id(), new Link(ObjectId.of("/payroll", 1), link.info(), link.wrapped()).encode());
        assertThatThrownBy(() -> objects.read(link.info().id())).isInstanceOf(ObjectUnreadableException.class);
    }

    @Test
    void store_filesAreOwnerOnlyAndStrayFilesAreIgnored() throws Exception {
        buildChain();
        Path file = dir.resolve("store/objects/customers/file/customer-file-1/#1");
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Files.write(dir.resolve("store/objects/customers/#x"), new byte[] {1});
        Files.write(dir.resolve("store/objects/customers/notalink"), new byte[] {1});
        assertThat(store.list()).hasSize(4);
    }
}
