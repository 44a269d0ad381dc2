package dev.cloudproxy.tao.host;

import static dev.cloudproxy.tao.host.TestHosts.sha256;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.host.TestHosts.Conversation;
import dev.cloudproxy.tao.host.unix.PeerCredentials;
import dev.cloudproxy.tao.host.unix.Users;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A root host runs each program name under a user id of its own (attack 9 of issue 14: a
 * program, or the host's user, swapping another program's measured jar copy or debugging it),
 * the same id in every run, with a state directory only that id can use. The tests that
 * need root say so and run in the root pass of CI; the others show what a host that is not root
 * does, and run in the ordinary user's pass.
 *
 * <p>Programs here are JVM programs on jars made from this test's class path: a program under
 * its own user cannot read the test's class path where it is (under the build user's home), but
 * it can read the host's private copies of the jars, which is the point. Programs with different
 * roles differ by a JVM option, which is measured: they are different programs, with different
 * names.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class SeparateUsersTest {
    private static final String NEEDS_ROOT = "runs programs under their own user ids, which only a root host can;"
            + " CI runs this test in its root pass";
    private static final String NEEDS_NON_ROOT = "shows what a host that is not root does;"
            + " CI runs this test in its ordinary user's pass";
    private static final String SECRET = HexFormat.of().formatHex("attack at dawn".getBytes(StandardCharsets.UTF_8));

    @TempDir
    static Path jars;
    private static List<Path> classpath;

    @TempDir
    Path temp;

    private Path hostDir;
    private OpenedHost opened;
    private HostService service;

    /** Every class path entry as a jar: directories are packed, jars are taken as they are. */
    @BeforeAll
    static void packClasspath() throws IOException {
        List<Path> out = new ArrayList<>();
        int i = 0;
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path p = Path.of(entry);
            if (Files.isDirectory(p)) {
                out.add(pack(p, jars.resolve("dir" + i++ + ".jar")));
            } else if (Files.isRegularFile(p) && entry.endsWith(".jar")) {
                out.add(p);
            }
        }
        classpath = List.copyOf(out);
    }

    private static Path pack(Path dir, Path jar) throws IOException {
        try (OutputStream o = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(o);
                Stream<Path> walk = Files.walk(dir)) {
            for (Path f : walk.filter(Files::isRegularFile).sorted().toList()) {
                j.putNextEntry(new JarEntry(dir.relativize(f).toString().replace('\\', '/')));
                Files.copy(f, j);
                j.closeEntry();
            }
        }
        return jar;
    }

    @BeforeEach
    void start() throws Exception {
        hostDir = temp.resolve("host");
        opened = TestHosts.root(hostDir);
        service = HostService.start(opened);
    }

    @AfterEach
    void stop() throws Exception {
        service.close();
        opened.close();
    }

    /** {@link HostedMain} as a JVM program; {@code role} is in its JVM options, so in its name. */
    private static ProgramSpec hostedMain(String role) {
        return ProgramSpec.jvm(classpath.get(0), List.of()).withClasspath(classpath.subList(1, classpath.size()))
                .withMainClass(HostedMain.class.getName()).withJvmOptions(List.of("-Dtao.test.role=" + role));
    }

    private Conversation run(String role) throws Exception {
        return run(service, hostedMain(role));
    }

    private Conversation run(HostService on, ProgramSpec spec) throws Exception {
        Conversation c = new Conversation(on.runner().start(spec, true));
        assertThat(c.next()).startsWith("connected " + opened.host().name() + ".Jvm(ext.Runtime([");
        return c;
    }

    private static long uidOf(long pid) throws IOException {
        return Long.parseLong(statusLine(pid, "Uid").split("\\s+")[0]);
    }

    private static String statusLine(long pid, String name) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith(name + ":")) {
                return line.substring(name.length() + 1).strip();
            }
        }
        throw new IOException("no " + name + " line for process " + pid);
    }

    /** The program's per-run directory, as the host sees it: its descriptor 3. */
    private static Path runDirectory(long pid) throws IOException {
        return Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "fd", "3"));
    }

    /** The program's state directory, as the host sees it. */
    private Path stateDirectory(long uid) {
        return hostDir.resolve(ProgramUserTable.STATE).resolve(Long.toString(uid));
    }

    private static Path jvmCopy(Path privateDirectory) throws IOException {
        try (Stream<Path> s = Files.list(privateDirectory)) {
            return s.filter(p -> p.getFileName().toString().startsWith("jvm-")).findFirst().orElseThrow()
                    .resolve("app.jar");
        }
    }

    @Test
    void rootHost_runsEachProgramUnderItsOwnUid_withNoNewPrivsNoGroupsNoCapabilities() throws Exception {
        assumeTrue(Users.currentUid() == 0, NEEDS_ROOT);
        Conversation a = run("a");
        Conversation b = run("b");
        long uidA = uidOf(a.program().pid());
        long uidB = uidOf(b.program().pid());
        assertThat(uidA).isNotZero().isNotEqualTo(uidB)
                .isBetween(ProgramUsers.DEFAULT_FIRST, ProgramUsers.DEFAULT_FIRST + ProgramUsers.DEFAULT_COUNT - 1);
        assertThat(uidB).isNotZero()
                .isBetween(ProgramUsers.DEFAULT_FIRST, ProgramUsers.DEFAULT_FIRST + ProgramUsers.DEFAULT_COUNT - 1);
        for (Conversation c : List.of(a, b)) {
            long uid = uidOf(c.program().pid());
            String self = c.ask("status");
            assertThat(self).contains("Uid: " + uid + " " + uid + " " + uid + " " + uid + ";")
                    .contains("Gid: " + uid + " " + uid + " " + uid + " " + uid + ";")
                    .contains("Groups:;").contains("NoNewPrivs: 1;")
                    .contains("CapBnd: 0000000000000000;").contains("CapInh: 0000000000000000;")
                    .contains("CapEff: 0000000000000000;");
            assertThat(statusLine(c.program().pid(), "NoNewPrivs")).isEqualTo("1");
            String stateSeen = StateMount.probe().orElse(ProgramRunner.STATE_SEEN).toString();
            assertThat(c.ask("env HOME")).isEqualTo(stateSeen);
            assertThat(c.ask("env " + ProgramRunner.STATE_DIR_ENV)).isEqualTo(stateSeen);
            assertThat(c.ask("env TAO_HOST_SOCKET")).isEqualTo("/proc/self/fd/3/" + HostDirectory.PROGRAM_SOCKET);
        }
        a.program().stop();
        b.program().stop();
    }

    @Test
    void programOnRootHost_cannotChangeItsOwnOrAnotherProgramsJarCopy() throws Exception {
        assumeTrue(Users.currentUid() == 0, NEEDS_ROOT);
        Conversation victim = run("victim");
        Conversation attacker = run("attacker");
        Path victimDir = runDirectory(victim.program().pid());
        Path victimJar = jvmCopy(victimDir);
        byte[] before = sha256(victimJar);
        PosixFileAttributes attrs = Files.readAttributes(victimJar, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        assertThat(attrs.owner().getName()).isEqualTo("root");
        assertThat(PosixFilePermissions.toString(attrs.permissions())).isEqualTo("r--r-----");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(victimDir))).isEqualTo("rwxr-x---");

        // Another program: by the host's path, through the victim's descriptor, through its own.
        String inVictim = victimDir.relativize(victimJar).toString();
        for (String path : List.of(victimJar.toString(),
                "/proc/" + victim.program().pid() + "/fd/3/" + inVictim,
                "/proc/self/fd/3/../" + victimDir.getFileName() + "/" + inVictim)) {
            assertThat(attacker.ask("write " + path)).as(path).startsWith("AccessDeniedException");
            assertThat(attacker.ask("delete " + path)).as(path).startsWith("AccessDeniedException");
        }
        // The program itself: its copy is root's, read-only, in a directory it cannot write.
        String own = "/proc/self/fd/3/" + inVictim;
        assertThat(victim.ask("write " + own)).startsWith("AccessDeniedException");
        assertThat(victim.ask("delete " + own)).startsWith("AccessDeniedException");
        assertThat(sha256(victimJar)).isEqualTo(before);
        assertThat(victim.ask("name")).isEqualTo(victim.program().name().toString());
        victim.program().stop();
        attacker.program().stop();
    }

    @Test
    void programOnRootHost_cannotReachTheAdminSocket_butReachesItsHost() throws Exception {
        assumeTrue(Users.currentUid() == 0, NEEDS_ROOT);
        Conversation c = run("c");
        for (String path : List.of(service.adminSocket().toString(), "/proc/self/fd/3/../../" + HostDirectory.ADMIN_SOCKET,
                service.programSocket().toString())) {
            assertThat(c.ask("connect " + path)).as(path).contains("Permission denied");
        }
        assertThat(c.ask("connect /proc/self/fd/3/" + HostDirectory.PROGRAM_SOCKET)).isEqualTo("connected");
        c.program().stop();
    }

    @Test
    void programOnRootHost_cannotReadTheMemoryOfOrAttachToAnotherProgramOrTheHost() throws Exception {
        assumeTrue(Users.currentUid() == 0, NEEDS_ROOT);
        Conversation victim = run("victim");
        Conversation attacker = run("attacker");
        long hostPid = ProcessHandle.current().pid();
        long victimPid = victim.program().pid();
        assertThat(attacker.ask("open /proc/self/mem")).isEqualTo("opened");
        for (long pid : List.of(hostPid, victimPid)) {
            assertThat(attacker.ask("open /proc/" + pid + "/mem")).as("mem of " + pid).startsWith("AccessDeniedException");
            assertThat(attacker.ask("open /proc/" + pid + "/environ")).as("environ of " + pid)
                    .startsWith("AccessDeniedException");
            assertThat(attacker.ask("attach " + pid)).as("attach to " + pid).doesNotStartWith("attached");
        }
        victim.program().stop();
        attacker.program().stop();

        // The same attack between two programs of a host that runs them as its own user works:
        // what stops it above is the separate users.
        Path sameUserDir = temp.resolve("same-user-host");
        try (OpenedHost sameUser = TestHosts.root(sameUserDir);
                HostService sameUserService = HostService.start(sameUser, ProgramRunner.defaultFactories(),
                        ProgramUsers.hostUser())) {
            Conversation v = new Conversation(sameUserService.runner().start(hostedMain("victim"), true));
            Conversation a = new Conversation(sameUserService.runner().start(hostedMain("attacker"), true));
            assertThat(v.next()).startsWith("connected ");
            assertThat(a.next()).startsWith("connected ");
            assertThat(a.ask("open /proc/" + v.program().pid() + "/mem")).isEqualTo("opened");
            assertThat(a.ask("attach " + v.program().pid())).isEqualTo("attached");
            v.program().stop();
            a.program().stop();
        }
    }

    @Test
    void sameName_twoLiveRuns_shareTheUidAndStateDirectory_butNotTheRunDirectory() throws Exception {
        assumeTrue(Users.currentUid() == 0, NEEDS_ROOT);
        Conversation one = run("same");
        Conversation two = run("same");
        assertThat(two.program().name()).isEqualTo(one.program().name());
        assertThat(uidOf(two.program().pid())).isEqualTo(uidOf(one.program().pid()));
        assertThat(runDirectory(two.program().pid())).isNotEqualTo(runDirectory(one.program().pid()));
        assertThat(one.ask("create /proc/self/fd/5/shared " + SECRET)).isEqualTo("created");
        assertThat(two.ask("read /proc/self/fd/5/shared")).isEqualTo("read " + SECRET);
        one.program().stop();
        two.program().stop();
    }

    @Test
    void programOnRootHost_keepsItsUidAndReadsItsPreviousRunsFiles_acrossRunsAndAHostRestart() throws Exception {
        assumeTrue(Users.currentUid() == 0, NEEDS_ROOT);
        // Like TaoHello: a file in its state directory, and one in a working directory every
        // user may write (as /tmp), by a relative name.
        Path shared = Files.createDirectory(temp.resolve("shared"));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
        ProgramSpec spec = hostedMain("hello").withDirectory(shared);
        Conversation first = run(service, spec);
        long uid = uidOf(first.program().pid());
        Path firstRun = runDirectory(first.program().pid());
        String blob = first.ask("seal self " + SECRET);
        assertThat(first.ask("create /proc/self/fd/5/state " + SECRET)).isEqualTo("created");
        assertThat(first.ask("create hello.sealed " + blob)).isEqualTo("created");
        assertThat(first.ask("exit 0")).isEqualTo("bye");
        assertThat(first.program().exit().get()).isZero();
        assertThat(firstRun).doesNotExist();
        PosixFileAttributes state = Files.readAttributes(stateDirectory(uid), PosixFileAttributes.class,
                LinkOption.NOFOLLOW_LINKS);
        assertThat(PosixFilePermissions.toString(state.permissions())).isEqualTo("rwx------");
        assertThat(Files.getAttribute(stateDirectory(uid), "unix:uid", LinkOption.NOFOLLOW_LINKS))
                .isEqualTo((int) uid);

        Conversation second = run(service, spec);
        assertThat(uidOf(second.program().pid())).isEqualTo(uid);
        assertThat(second.ask("read hello.sealed")).isEqualTo("read " + blob);
        assertThat(second.ask("read /proc/self/fd/5/state")).isEqualTo("read " + SECRET);
        assertThat(second.ask("unseal " + blob)).isEqualTo("unsealed self " + SECRET);
        assertThat(second.ask("exit 0")).isEqualTo("bye");
        assertThat(second.program().exit().get()).isZero();

        service.close();
        opened.close();
        opened = HostSetup.openRoot(new HostDirectory(hostDir), TestHosts.PASSWORD);
        service = HostService.start(opened);
        Conversation afterRestart = run(service, spec);
        assertThat(uidOf(afterRestart.program().pid())).isEqualTo(uid);
        assertThat(afterRestart.ask("read hello.sealed")).isEqualTo("read " + blob);
        assertThat(afterRestart.ask("read /proc/self/fd/5/state")).isEqualTo("read " + SECRET);
        // A new name after the restart does not get the old name's id.
        Conversation other = run("other");
        assertThat(uidOf(other.program().pid())).isNotEqualTo(uid);
        afterRestart.program().stop();
        other.program().stop();
    }

    @Test
    void programOnRootHost_andTheProcessesItStarts_findItsStateDirectoryByPath_inTheirOwnMountNamespace()
            throws Exception {
        assumeTrue(Users.currentUid() == 0, NEEDS_ROOT);
        assumeTrue(StateMount.probe().isPresent(), "this root may not make mount namespaces (no CAP_SYS_ADMIN)");
        Conversation c = run("mounted");
        String state = c.ask("env " + ProgramRunner.STATE_DIR_ENV);
        assertThat(state).isEqualTo(StateMount.MOUNT_POINT_TEXT);
        assertThat(c.ask("create " + state + "/note " + SECRET)).isEqualTo("created");
        // A child of the JVM (as a stacked launcher's app) has no descriptor 5, but has the mount.
        assertThat(c.ask("spawn /bin/cat " + state + "/note")).isEqualTo("spawned " + SECRET + " status 0");
        assertThat(c.ask("spawn /bin/cat /proc/self/fd/5/note")).endsWith("status 1");
        assertThat(stateDirectory(uidOf(c.program().pid())).resolve("note")).hasContent(SECRET);
        // Outside the program's namespace the mount point is root's empty directory.
        try (Stream<Path> outside = Files.list(StateMount.MOUNT_POINT)) {
            assertThat(outside).isEmpty();
        }
        c.program().stop();
    }

    @Test
    void programOnRootHost_withoutMountNamespaces_findsItsStateDirectoryThroughItsDescriptor() throws Exception {
        assumeTrue(Users.currentUid() == 0, NEEDS_ROOT);
        service.close();
        service = HostService.start(opened, ProgramRunner.defaultFactories(), HostService.defaultUsers(), false);
        Conversation first = run("descriptor");
        assertThat(first.ask("env " + ProgramRunner.STATE_DIR_ENV)).isEqualTo(ProgramRunner.STATE_SEEN.toString());
        assertThat(first.ask("env HOME")).isEqualTo(ProgramRunner.STATE_SEEN.toString());
        assertThat(first.ask("create /proc/self/fd/5/note " + SECRET)).isEqualTo("created");
        assertThat(first.ask("exit 0")).isEqualTo("bye");
        Conversation second = run("descriptor");
        assertThat(second.ask("read /proc/self/fd/5/note")).isEqualTo("read " + SECRET);
        second.program().stop();
    }

    @Test
    void programOnRootHost_cannotReachAnotherNamesStateDirectory() throws Exception {
        assumeTrue(Users.currentUid() == 0, NEEDS_ROOT);
        Conversation victim = run("victim");
        Conversation attacker = run("attacker");
        long victimUid = uidOf(victim.program().pid());
        assertThat(victim.ask("create /proc/self/fd/5/secret " + SECRET)).isEqualTo("created");
        Path secret = stateDirectory(victimUid).resolve("secret");
        assertThat(secret).exists();
        for (String path : List.of(secret.toString(), "/proc/" + victim.program().pid() + "/fd/5/secret",
                "/proc/self/fd/5/../" + victimUid + "/secret")) {
            assertThat(attacker.ask("read " + path)).as(path).startsWith("AccessDeniedException");
            assertThat(attacker.ask("create " + path + "2 x")).as(path).startsWith("AccessDeniedException");
        }
        // Its own mount point shows its own directory, not the victim's.
        String mounted = attacker.ask("env " + ProgramRunner.STATE_DIR_ENV);
        assertThat(attacker.ask("read " + mounted + "/secret")).startsWith("NoSuchFileException");
        victim.program().stop();
        attacker.program().stop();
    }

    @Test
    void processProgramOnRootHost_runsItsSealedCopyUnderItsOwnUid() throws Exception {
        assumeTrue(Users.currentUid() == 0, NEEDS_ROOT);
        Path script = temp.resolve("who.sh");
        Files.writeString(script, "#!/bin/sh\nid -u\ngrep NoNewPrivs /proc/self/status\necho \"$0\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        RunningProgram p = service.runner().start(ProgramSpec.process(script, List.of()), true);
        List<String> out = new String(p.process().getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        assertThat(p.exit().get()).isZero();
        assertThat(Long.parseLong(out.get(0))).isBetween(ProgramUsers.DEFAULT_FIRST,
                ProgramUsers.DEFAULT_FIRST + ProgramUsers.DEFAULT_COUNT - 1);
        assertThat(out.get(1)).matches("NoNewPrivs:\\s+1");
        assertThat(out.get(2)).isEqualTo(ProgramRunner.IMAGE_SEEN.toString());
        assertThat(p.name().lastExtension().orElseThrow()).isEqualTo(PrinExt.of("Program", new Bytes(sha256(script))));
    }

    @Test
    void nonRootHost_runsProgramsAsItsOwnUser() throws Exception {
        assumeTrue(Users.currentUid() != 0, NEEDS_NON_ROOT);
        assertThat(ProgramUsers.defaultFor(Users.currentUid()).separate()).isFalse();
        Conversation c = run("c");
        assertThat(uidOf(c.program().pid())).isEqualTo(Users.currentUid());
        assertThat(c.ask("env TAO_HOST_SOCKET")).isEqualTo(service.programSocket().toString());
        c.program().stop();
    }

    @Test
    void separateUsers_whenNotRoot_areRefused() {
        assumeTrue(Users.currentUid() != 0, NEEDS_NON_ROOT);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ProgramUsers.range(ProgramUsers.DEFAULT_FIRST, 10));
        assertThat(e.getMessage()).contains("only a host running as root");
    }

    @Test
    void table_neverAssignsAUidInUseByALiveProcess() throws Exception {
        assumeTrue(Users.currentUid() == 0, NEEDS_ROOT);
        assertThat(ProgramUsers.defaultFor(0).separate()).isTrue();
        // A process already running as the range's first id (say, left over by a crashed host).
        Process squatter = new ProcessBuilder(ProgramUsers.SETPRIV.toString(), "--reuid=2100000000",
                "--regid=2100000000", "--clear-groups", "--", "/bin/sh", "-c", "echo ready; exec /bin/sleep 600")
                .redirectErrorStream(true).start();
        try {
            // It prints once it runs as that user.
            assertThat(new BufferedReader(new InputStreamReader(squatter.getInputStream(), StandardCharsets.UTF_8))
                    .readLine()).isEqualTo("ready");
            assertThat(uidOf(squatter.pid())).isEqualTo(2_100_000_000L);
            ProgramUserTable table = ProgramUserTable.open(new HostDirectory(temp.resolve("table")),
                    ProgramUsers.range(2_100_000_000L, 3));
            assertThat(table.uidFor(name(1))).isEqualTo(2_100_000_001L);
            assertThat(table.uidFor(name(2))).isEqualTo(2_100_000_002L);
            assertThat(table.uidFor(name(1))).isEqualTo(2_100_000_001L);
            assertThrows(ProgramStartException.class, () -> table.uidFor(name(3)));
        } finally {
            squatter.destroyForcibly();
            squatter.waitFor();
        }
    }

    private static SubPrin name(int i) {
        return SubPrin.of(PrinExt.of("Program", new Bytes(new byte[] {(byte) i})));
    }

    @Test
    void range_includingRootOrBeyond32Bits_isRefused() {
        assertThrows(IllegalArgumentException.class, () -> ProgramUsers.range(0, 10));
        assertThrows(IllegalArgumentException.class, () -> ProgramUsers.range(0xFFFF_FFF0L, 100));
        assertThrows(IllegalArgumentException.class, () -> ProgramUsers.range(1000, 0));
    }

    @Test
    void connectionFromARegisteredPid_underAnotherUid_isNotThatProgram() throws Exception {
        HostedPrograms registry = new HostedPrograms();
        long pid = ProcessHandle.current().pid();
        long uid = Users.currentUid();
        HostedProgram p = registry.registerAsUser(pid, uid, SubPrin.of(PrinExt.of("Program", new Bytes(new byte[32]))));
        assertThat(registry.identify(new PeerCredentials(pid, uid, uid))).contains(p);
        assertThat(registry.identify(new PeerCredentials(pid, uid + 1, uid))).isEmpty();
    }
}
