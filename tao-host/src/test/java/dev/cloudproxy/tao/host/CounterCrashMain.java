package dev.cloudproxy.tao.host;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.io.AtomicFiles;
import dev.cloudproxy.tao.keys.Keys;
import dev.cloudproxy.tao.soft.SoftTao;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One rollback-protected write of a hosted program's state, in its own JVM, halted (no shutdown
 * hooks, no cleanup: as {@code kill -9} would) at the k-th step: a stacked host over a soft parent
 * in {@code DIR/parent}, the host's keys in {@code DIR/keys}, its directory in {@code DIR/host},
 * the program's state file {@code DIR/state}. The steps, in order: the host's save of its table
 * when the counter advances (parent-sealed, table-written, parent-committed), the program's
 * blob-sealed and file-written, the host's save when the program commits (the same three), and
 * committed. Exits 0 if the write finished before step k.
 *
 * <p>Arguments: {@code DIR k value}.
 */
public final class CounterCrashMain {
    /** The exit status of a halt at the chosen step. */
    static final int HALTED = 87;
    /** Steps in one write. */
    static final int STEPS = 9;
    static final String LABEL = "balance";
    /** The program's fixed measurement, so that every run (and the test's check) is the same program. */
    static final SubPrin PROGRAM = SubPrin.of(PrinExt.of("Program", new Bytes(new byte[32])));

    private CounterCrashMain() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int crashAt = Integer.parseInt(args[1]);
        AtomicInteger step = new AtomicInteger();
        HostCounters.stepHook = name -> {
            if (step.incrementAndGet() == crashAt) {
                Runtime.getRuntime().halt(HALTED);
            }
        };
        try (SoftTao parent = SoftTao.open(dir.resolve("parent"), TestHosts.PASSWORD.clone());
                Keys keys = Keys.load(dir.resolve("keys"), TestHosts.PASSWORD.clone())) {
            CoreTao tao = programTao(dir, parent, keys, ProcessHandle.current().pid());
            byte[] blob = tao.rollbackProtectedSeal(LABEL, args[2].getBytes(StandardCharsets.UTF_8), CoreTao.SEAL_POLICY_SELF);
            HostCounters.stepHook.accept("blob-sealed");
            AtomicFiles.writeOwnerOnly(dir.resolve("state"), blob);
            HostCounters.stepHook.accept("file-written");
            tao.rollbackProtectedUnseal(blob).close();
            HostCounters.stepHook.accept("committed");
        }
    }

    /** The program's Tao on the stacked host in {@code dir}, as a restarted host would give it. */
    static CoreTao programTao(Path dir, CoreTao parent, Keys keys, long pid) throws Exception {
        Host host = Host.root(keys).withCounters(HostCounters.stacked(new HostDirectory(dir.resolve("host")), keys, parent));
        return host.taoFor(new HostedPrograms().register(pid, PROGRAM));
    }
}
