package dev.cloudproxy.tao.measurement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cloudproxy.tao.measurement.RuntimeDigestCache.FileFacts;
import dev.cloudproxy.tao.measurement.RuntimeDigestCache.Identity;
import dev.cloudproxy.tao.measurement.RuntimeDigestCache.Stamp;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The persistent runtime digest cache: its file format, and that it never changes what a
 * measurement means. CI runs these as root, which never uses the cache; so the tests that need a
 * hit take the real runtime (owned by root, in root's directories) and measure "as" an outsider
 * identity that cannot change it; as root they hand the cache file to that outsider after each
 * write, since the cache is only read from a file of the user's own.
 */
class RuntimeDigestCacheTest {
    private static final int OUTSIDER = 4242;
    private static final byte[] WRONG = new byte[32];

    static {
        Arrays.fill(WRONG, (byte) 0x5a);
    }

    @TempDir
    Path tmp;

    private Path app;
    private Path cache;
    private Path realRuntime;

    @BeforeEach
    void setUp() throws IOException {
        app = JvmProgramTest.jar(tmp.resolve("app.jar"), JvmProgramTest.manifest("com.example.Main"),
                JvmProgramTest.content(), false, 1_000_000_000_000L, ZipEntry.DEFLATED);
        cache = tmp.resolve("runtime-digests");
        realRuntime = Path.of(System.getProperty("java.home")).toRealPath();
    }

    // ---- who can change a file

    @Test
    void cannotModify_ownerAndModeBits_onlyOthersUnwritableFilesQualify() {
        Identity me = new Identity(Set.of(1000), false);
        assertThat(me.cannotModify(0, 0100644)).isTrue();
        assertThat(me.cannotModify(0, 040755)).isTrue();
        assertThat(me.cannotModify(0, 0100444)).isTrue();
        assertThat(me.cannotModify(1000, 0100444)).as("own file: the owner can chmod it").isFalse();
        assertThat(me.cannotModify(0, 0100664)).as("group-writable, whatever the group").isFalse();
        assertThat(me.cannotModify(0, 0100646)).as("writable by others").isFalse();
        assertThat(me.cannotModify(0, 041777)).as("a sticky /tmp still lets us add files").isFalse();
        assertThat(me.cannotModify(2000, 040755)).isTrue();
    }

    @Test
    void cannotModify_anyOfTheUids_countsAsOurs() {
        Identity setuid = new Identity(Set.of(1000, 1001), false);
        assertThat(setuid.cannotModify(1001, 0100644)).isFalse();
    }

    @Test
    void cannotModify_privileged_nothingIsBeyondReach() {
        Identity root = new Identity(Set.of(0), true);
        assertThat(root.cannotModify(1000, 0100444)).isFalse();
        assertThat(root.cannotModify(0, 040755)).isFalse();
    }

    @Test
    void identity_parseStatus_readsUidsAndCapabilities() {
        String user = "Name:\tjava\nUid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\n"
                + "CapInh:\t0000000000000000\nCapEff:\t0000000000000000\n";
        assertThat(Identity.parseStatus(user)).contains(new Identity(Set.of(1000), false));
        assertThat(Identity.parseStatus(user.replace("Uid:\t1000\t1000", "Uid:\t1000\t0")).get().privileged())
                .as("effective uid 0").isTrue();
        assertThat(Identity.parseStatus(user.replace("CapEff:\t0000000000000000", "CapEff:\t0000000000000002"))
                .get().privileged()).as("CAP_DAC_OVERRIDE without uid 0").isTrue();
        assertThat(Identity.parseStatus("Name:\tjava\nCapEff:\t0\n")).isEmpty();
        assertThat(Identity.parseStatus("Uid:\t1000\t1000\t1000\t1000\n")).isEmpty();
    }

    @Test
    void identity_current_rootIsPrivileged() throws IOException {
        Optional<Identity> me = Identity.current();
        assertThat(me).isPresent();
        int uid = (Integer) Files.getAttribute(tmp, "unix:uid");
        assertThat(me.get().uids()).contains(uid);
        if (uid == 0) {
            assertThat(me.get().privileged()).isTrue();
            assertThat(RuntimeDigestCache.open(cache, me.get())).isEmpty();
        }
    }

    @Test
    void fileFacts_throughALink_stampThePathAndAttributesOfTheRealFile() throws IOException {
        Path target = Files.writeString(tmp.resolve("target"), "content");
        Path link = Files.createSymbolicLink(tmp.resolve("link"), target);
        Stamp s = FileFacts.of(link).orElseThrow().stamp();
        assertThat(s.path()).isEqualTo(target.toRealPath().toString());
        assertThat(s.ino()).isEqualTo(Files.getAttribute(target, "unix:ino"));
        assertThat(s.size()).isEqualTo(7);
        assertThat(FileFacts.of(link).orElseThrow().path()).isEqualTo(target.toRealPath());
    }

    // ---- the file format

    @Test
    void encodeDecode_entries_roundTrip() {
        Map<Stamp, byte[]> entries = sampleEntries(3);
        Map<Stamp, byte[]> back = RuntimeDigestCache.decode(RuntimeDigestCache.encode(entries)).orElseThrow();
        assertThat(back.keySet()).isEqualTo(entries.keySet());
        for (Stamp s : entries.keySet()) {
            assertThat(back.get(s)).isEqualTo(entries.get(s));
        }
        assertThat(RuntimeDigestCache.decode(RuntimeDigestCache.encode(Map.of()))).contains(Map.of());
    }

    @Test
    void decode_everyTruncation_ignored() {
        byte[] good = RuntimeDigestCache.encode(sampleEntries(3));
        for (int n = 0; n < good.length; n++) {
            assertThat(RuntimeDigestCache.decode(Arrays.copyOf(good, n))).as("first %d bytes", n).isEmpty();
        }
    }

    @Test
    void decode_everyBitFlip_ignored() {
        byte[] good = RuntimeDigestCache.encode(sampleEntries(2));
        for (int i = 0; i < good.length * 8; i++) {
            byte[] bad = good.clone();
            bad[i / 8] ^= (byte) (1 << (i % 8));
            assertThat(RuntimeDigestCache.decode(bad)).as("bit %d flipped", i).isEmpty();
        }
    }

    @Test
    void decode_garbageAndOversized_ignored() {
        assertThat(RuntimeDigestCache.decode(new byte[0])).isEmpty();
        assertThat(RuntimeDigestCache.decode("not a cache at all, but long enough to be looked at".getBytes(
                StandardCharsets.UTF_8))).isEmpty();
        byte[] big = Arrays.copyOf(RuntimeDigestCache.encode(sampleEntries(1)), RuntimeDigestCache.MAX_FILE_BYTES + 1);
        assertThat(RuntimeDigestCache.decode(big)).isEmpty();
    }

    /** Input that passes the checksum (as a forger would write it) and is still wrong. */
    @ParameterizedTest
    @ValueSource(strings = {"version", "count", "tooMany", "emptyPath", "relativePath", "nulInPath", "badUtf8",
            "longPath", "negativeSize", "nanos", "duplicate", "trailing", "short"})
    void decode_wellChecksummedButMalformed_ignored(String what) throws IOException {
        byte[] path = "/usr/lib/jvm/x/lib/modules".getBytes(StandardCharsets.UTF_8);
        byte[] magic = RuntimeDigestCache.MAGIC;
        long count = 1;
        long size = 10;
        int nanos = 5;
        switch (what) {
            case "version" -> magic = "tao-runtime-digests/v2\n".getBytes(StandardCharsets.US_ASCII);
            case "count" -> count = 2;
            case "tooMany" -> count = RuntimeDigestCache.MAX_ENTRIES + 1L;
            case "emptyPath" -> path = new byte[0];
            case "relativePath" -> path = "lib/modules".getBytes(StandardCharsets.UTF_8);
            case "nulInPath" -> path = "/usr/lib\0/modules".getBytes(StandardCharsets.UTF_8);
            case "badUtf8" -> path = new byte[] {'/', (byte) 0xc3, (byte) 0x28};
            case "longPath" -> {
                path = new byte[RuntimeDigestCache.MAX_PATH_BYTES + 1];
                Arrays.fill(path, (byte) 'a');
                path[0] = '/';
            }
            case "negativeSize" -> size = -1;
            case "nanos" -> nanos = 1_000_000_000;
            default -> { }
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(body);
        int copies = what.equals("duplicate") ? 2 : 1;
        out.write(magic);
        out.writeInt(what.equals("duplicate") ? 2 : (int) count);
        for (int i = 0; i < copies; i++) {
            out.writeShort(path.length);
            out.write(path);
            out.writeLong(1);
            out.writeLong(2);
            out.writeLong(size);
            out.writeLong(3);
            out.writeInt(nanos);
            out.writeLong(4);
            out.writeInt(0);
            out.write(WRONG, 0, what.equals("short") ? 31 : 32);
        }
        if (what.equals("trailing")) {
            out.write(0);
        }
        out.flush();
        byte[] b = body.toByteArray();
        byte[] whole = Arrays.copyOf(b, b.length + 32);
        System.arraycopy(Digests.sha256().digest(b), 0, whole, b.length, 32);
        assertThat(RuntimeDigestCache.decode(whole)).isEmpty();
    }

    @Test
    void encode_moreThanTheBound_cutToFit() {
        Map<Stamp, byte[]> many = sampleEntries(RuntimeDigestCache.MAX_ENTRIES + 10);
        byte[] bytes = RuntimeDigestCache.encode(many);
        assertThat(bytes.length).isLessThanOrEqualTo(RuntimeDigestCache.MAX_FILE_BYTES);
        assertThat(RuntimeDigestCache.decode(bytes).orElseThrow()).hasSize(RuntimeDigestCache.MAX_ENTRIES);
    }

    // ---- what a measurement with the cache means

    @Test
    void measure_cacheHit_sameRuntimeDigestAsFresh() throws Exception {
        Identity outsider = outsider();
        byte[] fresh = runtimeDigest(JvmProgram.builder().jar(app));
        byte[] first = measureWithCache(outsider);
        Map<Stamp, byte[]> written = readCache();
        assertThat(written).as("the runtime's files are cached").hasSizeGreaterThan(10);
        assertThat(Files.getAttribute(cache, "unix:mode")).isEqualTo(0100600);
        byte[] second = measureWithCache(outsider);
        assertThat(first).isEqualTo(fresh);
        assertThat(second).isEqualTo(fresh);
        assertThat(readCache().keySet()).isEqualTo(written.keySet());
    }

    /**
     * The positive control for the tests below: for a file the user cannot change, an entry with
     * exactly its stamp is believed (that is the design: such a file only changes with its
     * stamp). If this failed, the "not used" tests would prove nothing.
     */
    @Test
    void forgedEntry_fileUserCannotChange_isBelieved() throws Exception {
        Identity outsider = outsider();
        byte[] fresh = runtimeDigest(JvmProgram.builder().jar(app));
        writeForged(outsider, UnaryOperator.identity());
        assertThat(measureWithCache(outsider)).isNotEqualTo(fresh);
    }

    @ParameterizedTest
    @ValueSource(strings = {"ino", "size", "mtime", "mtimeNanos", "ctime", "ctimeNanos", "dev", "path"})
    void forgedEntry_changedFile_notUsed(String field) throws Exception {
        Identity outsider = outsider();
        byte[] fresh = runtimeDigest(JvmProgram.builder().jar(app));
        writeForged(outsider, s -> switch (field) {
            case "ino" -> new Stamp(s.path(), s.dev(), s.ino() + 1, s.size(), s.mtimeSeconds(), s.mtimeNanos(),
                    s.ctimeSeconds(), s.ctimeNanos());
            case "size" -> new Stamp(s.path(), s.dev(), s.ino(), s.size() + 1, s.mtimeSeconds(), s.mtimeNanos(),
                    s.ctimeSeconds(), s.ctimeNanos());
            case "mtime" -> new Stamp(s.path(), s.dev(), s.ino(), s.size(), s.mtimeSeconds() - 1, s.mtimeNanos(),
                    s.ctimeSeconds(), s.ctimeNanos());
            case "mtimeNanos" -> new Stamp(s.path(), s.dev(), s.ino(), s.size(), s.mtimeSeconds(),
                    (s.mtimeNanos() + 1) % 1_000_000_000, s.ctimeSeconds(), s.ctimeNanos());
            case "ctime" -> new Stamp(s.path(), s.dev(), s.ino(), s.size(), s.mtimeSeconds(), s.mtimeNanos(),
                    s.ctimeSeconds() - 1, s.ctimeNanos());
            case "ctimeNanos" -> new Stamp(s.path(), s.dev(), s.ino(), s.size(), s.mtimeSeconds(), s.mtimeNanos(),
                    s.ctimeSeconds(), (s.ctimeNanos() + 1) % 1_000_000_000);
            case "dev" -> new Stamp(s.path(), s.dev() + 1, s.ino(), s.size(), s.mtimeSeconds(), s.mtimeNanos(),
                    s.ctimeSeconds(), s.ctimeNanos());
            default -> new Stamp(s.path() + "x", s.dev(), s.ino(), s.size(), s.mtimeSeconds(), s.mtimeNanos(),
                    s.ctimeSeconds(), s.ctimeNanos());
        });
        assertThat(measureWithCache(outsider)).isEqualTo(fresh);
        assertThat(readCache().values()).as("rewritten with the true digests").noneMatch(d -> Arrays.equals(d, WRONG));
    }

    /** A runtime in the user's own temporary directory: every file is hashed, whatever the cache says. */
    @Test
    void forgedEntry_runtimeUserCanWrite_notUsed() throws Exception {
        Path fake = fakeRuntime();
        int owner = (Integer) Files.getAttribute(fake.resolve("lib/modules"), "unix:uid");
        byte[] fresh = runtimeDigest(JvmProgram.builder().jar(app).runtime(fake));
        for (Identity who : new Identity[] {new Identity(Set.of(OUTSIDER), false), new Identity(Set.of(owner), false)}) {
            Map<Stamp, byte[]> forged = new HashMap<>();
            for (String name : new String[] {"release", "bin/java", "lib/modules"}) {
                forged.put(FileFacts.of(fake.resolve(name)).orElseThrow().stamp(), WRONG.clone());
            }
            writeCache(forged, who);
            assertThat(runtimeDigest(JvmProgram.builder().jar(app).runtime(fake).runtimeDigestCache(cache, who)))
                    .isEqualTo(fresh);
        }
    }

    /** The runtime's files belong to the user (here: the identity owns them): never from the cache. */
    @Test
    void forgedEntry_filesOwnedByTheUser_notUsed() throws Exception {
        int owner = (Integer) Files.getAttribute(realRuntime.resolve("release"), "unix:uid");
        Identity ownerUnprivileged = new Identity(Set.of(owner), false);
        byte[] fresh = runtimeDigest(JvmProgram.builder().jar(app));
        writeForged(ownerUnprivileged, UnaryOperator.identity());
        assertThat(runtimeDigest(JvmProgram.builder().jar(app).runtimeDigestCache(cache, ownerUnprivileged)))
                .isEqualTo(fresh);
    }

    @Test
    void measure_privileged_neverReadsNorWritesTheCache() throws Exception {
        Identity root = new Identity(Set.of(0), true);
        byte[] fresh = runtimeDigest(JvmProgram.builder().jar(app));
        writeForged(root, UnaryOperator.identity());
        byte[] before = Files.readAllBytes(cache);
        assertThat(runtimeDigest(JvmProgram.builder().jar(app).runtimeDigestCache(cache, root))).isEqualTo(fresh);
        assertThat(Files.readAllBytes(cache)).isEqualTo(before);
    }

    /** As this process really is: in CI that is root, which must ignore the cache entirely. */
    @Test
    void asRoot_defaultIdentity_cacheNotUsed() throws Exception {
        assumeTrue((Integer) Files.getAttribute(tmp, "unix:uid") == 0, "runs as root in CI");
        byte[] fresh = runtimeDigest(JvmProgram.builder().jar(app));
        writeForged(new Identity(Set.of(0), false), UnaryOperator.identity());
        byte[] before = Files.readAllBytes(cache);
        assertThat(runtimeDigest(JvmProgram.builder().jar(app).runtimeDigestCache(cache))).isEqualTo(fresh);
        assertThat(Files.readAllBytes(cache)).isEqualTo(before);
    }

    @Test
    void cacheFile_garbage_ignoredAndRewritten() throws Exception {
        Identity outsider = outsider();
        byte[] fresh = runtimeDigest(JvmProgram.builder().jar(app));
        Files.write(cache, "tao-runtime-digests/v1\n\0\0\0\7 garbage".getBytes(StandardCharsets.UTF_8));
        Files.setPosixFilePermissions(cache, PosixFilePermissions.fromString("rw-------"));
        own(cache);
        assertThat(measureWithCache(outsider)).isEqualTo(fresh);
        assertThat(readCache()).hasSizeGreaterThan(10);
    }

    @Test
    void cacheFile_notPrivate_ignored() throws Exception {
        Identity outsider = outsider();
        byte[] fresh = runtimeDigest(JvmProgram.builder().jar(app));
        writeForged(outsider, UnaryOperator.identity());
        Files.setPosixFilePermissions(cache, PosixFilePermissions.fromString("rw-rw-r--"));
        assertThat(runtimeDigest(JvmProgram.builder().jar(app).runtimeDigestCache(cache, outsider))).isEqualTo(fresh);
    }

    @Test
    void cacheFile_directoryOrNoParent_measuresAsWithout() throws Exception {
        Identity outsider = outsider();
        byte[] fresh = runtimeDigest(JvmProgram.builder().jar(app));
        Files.createDirectory(cache);
        assertThat(runtimeDigest(JvmProgram.builder().jar(app).runtimeDigestCache(cache, outsider))).isEqualTo(fresh);
        Path nowhere = tmp.resolve("no such directory").resolve("runtime-digests");
        assertThat(runtimeDigest(JvmProgram.builder().jar(app).runtimeDigestCache(nowhere, outsider))).isEqualTo(fresh);
        assertThat(nowhere.getParent()).doesNotExist();
    }

    // ---- helpers

    /**
     * Someone who cannot change the real runtime: this user if it is not root, else a made-up
     * uid. Skips the test if the runtime is in reach (a JDK unpacked in a home directory).
     */
    private Identity outsider() throws IOException {
        int uid = (Integer) Files.getAttribute(tmp, "unix:uid");
        Identity who = new Identity(Set.of(uid == 0 ? OUTSIDER : uid), false);
        for (Path p = realRuntime.resolve("lib/modules"); p != null; p = p.getParent()) {
            assumeTrue(who.cannotModify((Integer) Files.getAttribute(p, "unix:uid"),
                    (Integer) Files.getAttribute(p, "unix:mode")), "the runtime is beyond this user's reach: " + p);
        }
        return who;
    }

    /** As root, gives the cache file to the made-up outsider, as if the outsider had written it. */
    private void own(Path file) throws IOException {
        if ((Integer) Files.getAttribute(tmp, "unix:uid") == 0) {
            Files.setAttribute(file, "unix:uid", OUTSIDER);
        }
    }

    private byte[] measureWithCache(Identity who) throws Exception {
        byte[] digest = runtimeDigest(JvmProgram.builder().jar(app).runtimeDigestCache(cache, who));
        own(cache);
        return digest;
    }

    private static byte[] runtimeDigest(JvmProgram.Builder b) throws MeasurementException {
        return b.build().measure().items().get(0).digest().orElseThrow().value();
    }

    private Map<Stamp, byte[]> readCache() throws IOException {
        return RuntimeDigestCache.decode(Files.readAllBytes(cache)).orElseThrow();
    }

    /** A cache file with the wrong digest for the real runtime's release, lib/modules and libjvm.so. */
    private void writeForged(Identity who, UnaryOperator<Stamp> change) throws IOException {
        Map<Stamp, byte[]> forged = new LinkedHashMap<>();
        for (String name : new String[] {"release", "lib/modules", "lib/server/libjvm.so"}) {
            Path file = realRuntime.resolve(name);
            if (Files.exists(file)) {
                forged.put(change.apply(FileFacts.of(file).orElseThrow().stamp()), WRONG.clone());
            }
        }
        writeCache(forged, who);
    }

    private void writeCache(Map<Stamp, byte[]> entries, Identity who) throws IOException {
        Files.deleteIfExists(cache);
        Files.write(cache, RuntimeDigestCache.encode(entries));
        Files.setPosixFilePermissions(cache, PosixFilePermissions.fromString("rw-------"));
        if (!who.privileged() && who.uids().contains(OUTSIDER)) {
            own(cache);
        }
    }

    private Path fakeRuntime() throws IOException {
        Path home = tmp.resolve("jdk");
        Files.createDirectories(home.resolve("bin"));
        Files.createDirectories(home.resolve("lib"));
        Files.writeString(home.resolve("release"), "JAVA_VERSION=\"17\"\n");
        Files.writeString(home.resolve("bin/java"), "#!/bin/false\n");
        Files.writeString(home.resolve("lib/modules"), "modules image");
        return home;
    }

    private static Map<Stamp, byte[]> sampleEntries(int n) {
        Map<Stamp, byte[]> m = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            byte[] d = new byte[32];
            d[0] = (byte) i;
            d[1] = (byte) (i >> 8);
            m.put(new Stamp("/usr/lib/jvm/jdk/lib/file" + i, 2049, 1000 + i, 100L * i, 1_700_000_000L, i,
                    1_700_000_001L, 999_999_999), d);
        }
        return m;
    }
}
