package dev.cloudproxy.tao.agent.tooling;

import dev.cloudproxy.tao.Tao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.UnsealException;
import dev.cloudproxy.tao.Unsealed;
import dev.cloudproxy.tao.agent.tooling.SealedCodec.Type;
import dev.cloudproxy.tao.agent.tooling.SealedCodec.Value;
import dev.cloudproxy.tao.io.AtomicFiles;
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
 * full Tao name ({@link Tao#SEAL_POLICY_SELF}), and sealed again into it when they change.
 *
 * <p>The blob is unsealed once, in premain. If this program cannot open it (another program,
 * another host, a tampered file), every class with a sealed field fails to initialize with that
 * reason, and the file is never written: the program does not start afresh and overwrite state
 * that belongs to someone else. A program without sealed fields is not affected. Values of classes
 * this run never initializes are carried over unchanged.
 */
final class SealedState {
    static final String ANNOTATION = "dev.cloudproxy.tao.agent.api.TaoSealed";

    private final Tao tao;
    private final Path file;
    private final Instrumentation inst;
    private final Duration every;
    private final Map<String, Value> stored;
    private final String unreadable;
    private final Map<String, Field> tracked = new LinkedHashMap<>();
    private byte[] lastSealed;
    private ScheduledExecutorService timer;

    private SealedState(Tao tao, Path file, Instrumentation inst, Duration every, Map<String, Value> stored, byte[] plain,
            String unreadable) {
        this.unreadable = unreadable;
        this.tao = tao;
        this.file = file;
        this.inst = inst;
        this.every = every;
        this.stored = stored;
        this.lastSealed = plain;
    }

    /**
     * Opens the state in {@code file} (none yet is fine), or a state that cannot be saved when
     * {@code file} is null (a class with sealed fields is then refused).
     *
     * @throws IOException if the file exists but cannot be read at all
     */
    static SealedState open(Tao tao, Path file, Instrumentation inst, Duration every) throws IOException {
        Map<String, Value> stored = new LinkedHashMap<>();
        byte[] plain = null;
        String unreadable = null;
        if (file != null) {
            byte[] blob = null;
            try {
                blob = AtomicFiles.readAtMost(file, SealedCodec.MAX_BYTES + 4096 + 1);
            } catch (NoSuchFileException absent) {
                // first run: nothing to restore
            }
            if (blob != null) {
                if (blob.length > SealedCodec.MAX_BYTES + 4096) {
                    throw new IOException("sealed state " + file + " is too large");
                }
                try {
                    Unsealed u = tao.unseal(blob);
                    if (!Tao.SEAL_POLICY_SELF.equals(u.policy())) {
                        unreadable = "the state in " + file + " was not sealed to this program alone";
                    } else {
                        plain = u.data();
                        stored.putAll(SealedCodec.decode(plain));
                    }
                } catch (UnsealException e) {
                    unreadable = "the state in " + file + " cannot be unsealed by this program: it belongs to"
                            + " another program (changed code or configuration), another host, or was altered."
                            + " It is left untouched; move it away to start afresh";
                } catch (SealedStateException e) {
                    unreadable = "the state in " + file + " is unreadable: " + e.getMessage();
                } catch (TaoException e) {
                    unreadable = "the host refused to unseal " + file + ": " + e.getMessage();
                }
            }
        }
        return new SealedState(tao, file, inst, every, stored, plain, unreadable);
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
        byte[] blob;
        try {
            blob = tao.seal(plain, Tao.SEAL_POLICY_SELF);
        } catch (TaoException e) {
            throw new IOException("the host refused to seal the @TaoSealed state: " + e.getMessage());
        }
        AtomicFiles.createPrivateDirectories(file.toAbsolutePath().getParent());
        AtomicFiles.writeOwnerOnly(file, blob);
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
