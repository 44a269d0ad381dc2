package dev.cloudproxy.tao.agent.tooling;

import dev.cloudproxy.tao.StaleStateException;
import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.UnsealException;
import dev.cloudproxy.tao.Unsealed;
import dev.cloudproxy.tao.agent.tooling.SealedCodec.Type;
import dev.cloudproxy.tao.agent.tooling.SealedCodec.Value;
import dev.cloudproxy.tao.io.AtomicFiles;
import dev.cloudproxy.tao.seal.RollbackProtectedFile;
import java.io.IOException;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The {@code @TaoSealed} fields of one program: restored from one blob sealed to the program's
 * app ({@code app:<app-id>}, when the launcher names one: any version the host's guard admits to
 * the app opens it) or else to its full Tao name ({@link CoreTao#SEAL_POLICY_SELF}), and sealed again
 * into it when they change. State of the program's own name, written before it had an app id, is
 * read once and moved to the app policy ({@link RollbackProtectedFile#migrate}).
 *
 * <p>The blob is rollback-protected ({@link CoreTao#rollbackProtectedSeal}, label {@value #LABEL}):
 * an older copy of the file put back over a newer one is refused with the host's stale-state
 * error, as unreadable state is. A file of the earlier, plain-sealed format is read once and
 * rewritten protected. Deleting the file is not refused (the fields start from their initial
 * values, with a warning on standard error); it cannot wind them back to an older saved value.
 *
 * <p>The blob is unsealed once, in premain. If this program cannot open it (another program,
 * another host, a tampered file), every class with a sealed field fails to initialize with that
 * reason, and the file is never written: the program does not start afresh and overwrite state
 * that belongs to someone else. A program without sealed fields is not affected. Values of classes
 * this run never initializes are carried over unchanged.
 */
final class SealedState {
    static final String ANNOTATION = "dev.cloudproxy.tao.TaoSealed";
    /** The program's counter label for its sealed-state file. */
    static final String LABEL = "tao.agent.sealed-state";
    private static final int MAX_FILE_BYTES = SealedCodec.MAX_BYTES + 4096;

    private final CoreTao tao;
    private final String policy;
    private final Path file;
    private final Instrumentation inst;
    private final Duration every;
    private final Map<String, Value> stored;
    private final String unreadable;
    private final Map<String, Field> tracked = new LinkedHashMap<>();
    private byte[] lastSealed;
    private ScheduledExecutorService timer;

    private SealedState(CoreTao tao, String policy, Path file, Instrumentation inst, Duration every,
            Map<String, Value> stored, byte[] plain, String unreadable) {
        this.unreadable = unreadable;
        this.tao = tao;
        this.policy = policy;
        this.file = file;
        this.inst = inst;
        this.every = every;
        this.stored = stored;
        this.lastSealed = plain;
    }

    /**
     * Opens the state in {@code file} (none yet is fine), kept under {@code policy}, or a state
     * that cannot be saved when {@code file} is null (a class with sealed fields is then refused).
     *
     * @throws IOException if the file exists but cannot be read at all
     */
    static SealedState open(CoreTao tao, String policy, Path file, Instrumentation inst, Duration every) throws IOException {
        Map<String, Value> stored = new LinkedHashMap<>();
        byte[] plain = null;
        String unreadable = null;
        if (file != null) {
            if (Files.exists(file)) {
                try {
                    plain = open(tao, policy, file);
                    stored.putAll(SealedCodec.decode(plain));
                } catch (StaleStateException e) {
                    unreadable = "the state in " + file + " is an older copy than this program last saved ("
                            + e.getMessage() + "): it was put back over newer state. It is left untouched";
                } catch (UnsealException e) {
                    unreadable = "the state in " + file + " cannot be unsealed by this program: " + (policy.equals(CoreTao.SEAL_POLICY_SELF)
                            ? "it belongs to another program (changed code or configuration), another host, or was altered"
                            : "it was sealed on another host, or to the exact name of an earlier version (run that"
                                    + " version once with this launcher: it moves its state to the app), or was altered")
                            + ". It is left untouched; to start afresh instead, move it away";
                } catch (SealedStateException e) {
                    unreadable = "the state in " + file + " is unreadable: " + e.getMessage();
                } catch (TaoException e) {
                    unreadable = "the host refused to unseal " + file + ": " + e.getMessage();
                }
            } else if (savedBefore(tao)) {
                System.err.println("tao-agent: the @TaoSealed state file " + file + " is missing although this"
                        + " program saved state before: starting from the fields' initial values");
            }
        }
        return new SealedState(tao, policy, file, inst, every, stored, plain, unreadable);
    }

    /** The plaintext of the state blob; one in the earlier, plain-sealed format is rewritten protected at once. */
    private static byte[] open(CoreTao tao, String policy, Path file) throws IOException, TaoException, SealedStateException {
        try (Unsealed u = RollbackProtectedFile.read(tao, file, LABEL, MAX_FILE_BYTES, policy)) {
            byte[] plain = u.data();
            if (RollbackProtectedFile.needsRewrite(u, policy)) {
                SealedCodec.decode(plain); // never rewrite what does not parse
                RollbackProtectedFile.migrate(tao, file, LABEL, plain, policy);
                System.err.println("tao-agent: rewrote the @TaoSealed state in " + file
                        + (u.label().isEmpty() ? " with rollback protection" : "") + " under policy " + policy);
            }
            return plain;
        }
    }

    private static void write(CoreTao tao, String policy, Path file, byte[] plain) throws IOException, TaoException {
        AtomicFiles.createPrivateDirectories(file.toAbsolutePath().getParent());
        RollbackProtectedFile.write(tao, file, LABEL, plain, policy);
    }

    private static boolean savedBefore(CoreTao tao) {
        try {
            return tao.initCounter(LABEL) > 0;
        } catch (IOException | TaoException e) {
            return false; // only decides whether to warn
        }
    }

    /** Validates the class's sealed fields, sets their restored values and starts tracking them. */
    void restore(Class<?> type) {
        for (Field f : type.getDeclaredFields()) {
            if (!isSealed(f)) {
                continue;
            }
            String name = type.getName() + "." + f.getName();
            int mod = f.getModifiers();
            if (!Modifier.isStatic(mod)) {
                throw refused(name, "only static fields can be sealed");
            }
            if (Modifier.isFinal(mod)) {
                throw refused(name, "final fields cannot be restored (a constant may be inlined where it is used)");
            }
            Type t = Type.of(f.getType());
            if (t == null) {
                throw refused(name, "type " + f.getType().getTypeName() + " is not supported"
                        + " (primitives, their boxes, String and byte[] are)");
            }
            if (file == null) {
                throw refused(name, "this agent has no sealed-state file (run the program with tao-launcher)");
            }
            if (unreadable != null) {
                throw refused(name, unreadable);
            }
            openTo(type);
            f.setAccessible(true);
            String key = type.getName() + "#" + f.getName();
            synchronized (this) {
                Value v = stored.get(key);
                if (v != null) {
                    if (v.type() != t) {
                        throw refused(name, "the sealed value is a " + v.type() + ", the field a " + t);
                    }
                    try {
                        f.set(null, v.type() == Type.BYTES && v.value() != null ? ((byte[]) v.value()).clone() : v.value());
                    } catch (IllegalAccessException e) {
                        throw refused(name, "cannot set it: " + e.getMessage());
                    }
                }
                tracked.put(key, f);
                startTimer();
            }
        }
    }

    private static boolean isSealed(Field f) {
        // By name: the app has its own copy of the annotation class, in its own class loader.
        return Arrays.stream(f.getDeclaredAnnotations()).anyMatch(a -> a.annotationType().getName().equals(ANNOTATION));
    }

    private static IllegalStateException refused(String field, String why) {
        return new IllegalStateException("@TaoSealed field " + field + " refused: " + why);
    }

    /** Fields of a class in a named module can be read and set only if the module opens the package to us. */
    private void openTo(Class<?> type) {
        Module m = type.getModule();
        Module us = SealedState.class.getModule();
        String pkg = type.getPackageName();
        if (m.isNamed() && !m.isOpen(pkg, us)) {
            inst.redefineModule(m, Set.of(), Map.of(), Map.of(pkg, Set.of(us)), Set.of(), Map.of());
        }
    }

    private void startTimer() {
        if (timer != null || every.isZero()) {
            return;
        }
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tao-sealed-state");
            t.setDaemon(true);
            return t;
        });
        long ms = every.toMillis();
        timer.scheduleWithFixedDelay(() -> flushQuietly("periodic"), ms, ms, TimeUnit.MILLISECONDS);
    }

    /** Seals the current values if they differ from what was last sealed (or restored). */
    synchronized void flush() throws IOException {
        if (file == null || tracked.isEmpty()) {
            return;
        }
        Map<String, Value> now = new LinkedHashMap<>(stored);
        for (Map.Entry<String, Field> e : tracked.entrySet()) {
            Field f = e.getValue();
            Type t = Type.of(f.getType());
            try {
                Object v = f.get(null);
                now.put(e.getKey(), new Value(t, t == Type.BYTES && v != null ? ((byte[]) v).clone() : v));
            } catch (IllegalAccessException ex) {
                throw new IOException("cannot read " + e.getKey() + ": " + ex.getMessage());
            }
        }
        byte[] plain = SealedCodec.encode(now);
        if (plain.length > SealedCodec.MAX_BYTES) {
            throw new IOException("@TaoSealed state is larger than " + SealedCodec.MAX_BYTES + " bytes; not sealed");
        }
        if (lastSealed != null && Arrays.equals(plain, lastSealed)) {
            return;
        }
        try {
            write(tao, policy, file, plain);
        } catch (TaoException e) {
            throw new IOException("the host refused to seal the @TaoSealed state: " + e.getMessage());
        }
        if (lastSealed != null) {
            Arrays.fill(lastSealed, (byte) 0);
        }
        lastSealed = plain;
    }

    void flushQuietly(String when) {
        try {
            flush();
        } catch (IOException | RuntimeException e) {
            System.err.println("tao-agent: " + when + " seal of @TaoSealed state failed: " + e.getMessage());
        }
    }

    /** Whether a file exists: for tests and messages. */
    boolean hasFile() {
        return file != null && Files.exists(file);
    }
}
