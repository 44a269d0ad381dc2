package dev.cloudproxy.tao.launcher;

import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.io.AtomicFiles;
import dev.cloudproxy.tao.keys.Argon2Params;
import dev.cloudproxy.tao.keys.Keys;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;

/**
 * The development root: a soft key set in {@code $TAO_HOME/launcher/root}, created on first use.
 *
 * <p>It runs unattended, so its password cannot be typed: it is {@code TAO_PASSWORD} when that is
 * set (then the same variable must be set on every later run), otherwise a random 256-bit password
 * generated at creation and kept beside the keys in {@code root.password} (mode 0600). Either way
 * the keys protect nothing from whoever can read those files or the environment: this root is for
 * development, which the launcher says on standard error every time.
 */
final class DevRoot {
    static final String PASSWORD_ENV = "TAO_PASSWORD";
    private static final Set<PosixFilePermission> OWNER_RW = PosixFilePermissions.fromString("rw-------");
    private static final int PASSWORD_FILE_MAX = 1024;

    private DevRoot() {}

    /** Loads the root keys, creating them (and the password file) on first use. */
    static Keys open(TaoHome home, Map<String, String> env) throws LauncherException {
        try {
            AtomicFiles.createPrivateDirectories(home.launcher());
            // Two launchers starting at once must not both create a root.
            try (FileChannel lockFile = FileChannel.open(home.launcher().resolve(".root.lock"),
                    Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(OWNER_RW));
                    FileLock lock = lockFile.lock()) {
                return openLocked(home, env);
            }
        } catch (IOException e) {
            throw new LauncherException("cannot open the development root in " + home.rootKeys() + ": " + e.getMessage(), e);
        }
    }

    private static Keys openLocked(TaoHome home, Map<String, String> env) throws IOException, LauncherException {
        String fromEnv = env.get(PASSWORD_ENV);
        Path pwFile = home.rootPassword();
        boolean exists = Keys.exists(home.rootKeys());
        char[] password = null;
        try {
            if (fromEnv != null && !fromEnv.isEmpty()) {
                password = fromEnv.toCharArray();
                if (!exists) {
                    Keys keys = Keys.generate();
                    keys.save(home.rootKeys(), password);
                    return keys;
                }
            } else if (exists) {
                if (!Files.exists(pwFile, LinkOption.NOFOLLOW_LINKS)) {
                    throw new LauncherException("the development root in " + home.rootKeys()
                            + " was created with " + PASSWORD_ENV + "; set it again");
                }
                password = readPasswordFile(pwFile);
            } else {
                // A random 256-bit password: Argon2's cost adds nothing to its strength, so the
                // cheapest parameters allowed are used and loading stays fast.
                byte[] random = new byte[32];
                new SecureRandom().nextBytes(random);
                password = HexFormat.of().formatHex(random).toCharArray();
                Arrays.fill(random, (byte) 0);
                byte[] pw = new byte[password.length];
                for (int i = 0; i < pw.length; i++) {
                    pw[i] = (byte) password[i];
                }
                AtomicFiles.writeOwnerOnly(pwFile, pw);
                Arrays.fill(pw, (byte) 0);
                Keys keys = Keys.generate();
                keys.save(home.rootKeys(), password, Argon2Params.FLOOR);
                return keys;
            }
            try {
                return Keys.load(home.rootKeys(), password);
            } catch (GeneralSecurityException e) {
                throw new LauncherException("cannot open the development root in " + home.rootKeys() + ": "
                        + (e instanceof TaoException ? e.getMessage() : "invalid key set")
                        + (fromEnv != null ? " (is " + PASSWORD_ENV + " right?)" : ""));
            }
        } finally {
            if (password != null) {
                Arrays.fill(password, '\0');
            }
        }
    }

    private static char[] readPasswordFile(Path file) throws IOException, LauncherException {
        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) || !mode.equals(OWNER_RW)) {
            throw new LauncherException(file + " must be a regular file with mode rw------- (it holds the"
                    + " development root's password)");
        }
        byte[] raw = AtomicFiles.readAtMost(file, PASSWORD_FILE_MAX + 1);
        try {
            if (raw.length == 0 || raw.length > PASSWORD_FILE_MAX) {
                throw new LauncherException(file + " does not hold a password");
            }
            char[] out = new char[raw.length];
            for (int i = 0; i < raw.length; i++) {
                out[i] = (char) (raw[i] & 0xFF);
            }
            return out;
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
    }
}
