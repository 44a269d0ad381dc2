package dev.cloudproxy.tao.kms;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.UnsealException;
import dev.cloudproxy.tao.Unsealed;
import dev.cloudproxy.tao.io.AtomicFiles;
import dev.cloudproxy.tao.keys.Crypter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import javax.security.auth.Destroyable;

/**
 * A program's master key: the root ({@link ObjectId#MASTER}) of every chain of protectors, and
 * the one place this module touches the Tao.
 *
 * <p>The key is 32 random bytes from the Tao, sealed with {@link CoreTao#seal} under a seal policy
 * ({@link CoreTao#SEAL_POLICY_SELF} for this exact program on this host, or another policy the host
 * supports) and stored in one file written atomically with mode 0600. So the master key is only
 * as portable as its seal policy: a program whose name changes cannot unseal it, and must receive
 * the keys under it another way (a disclosure directive to the secret service or to its
 * predecessor). On unseal, the blob's policy must be the one asked for.
 *
 * <p>Thread-safe. {@link #close()} zeroes the key.
 */
public final class MasterKey implements AutoCloseable, Destroyable {
    /** Largest sealed master key file accepted. */
    static final int MAX_SEALED_BYTES = 64 * 1024;

    private final Crypter crypter;

    private MasterKey(Crypter crypter) {
        this.crypter = crypter;
    }

    /**
     * Unseals the master key in {@code sealedFile}, or makes, seals and stores a new one if the
     * file does not exist.
     *
     * @throws UnsealException (always the same, as for any unseal) if the file exists but this
     *     program cannot unseal it under
     *     {@code policy} (another program, another host, tampering)
     */
    public static MasterKey openOrCreate(CoreTao tao, Path sealedFile, String policy) throws IOException, TaoException {
        Objects.requireNonNull(tao, "tao");
        Objects.requireNonNull(sealedFile, "sealedFile");
        Objects.requireNonNull(policy, "policy");
        if (Files.exists(sealedFile)) {
            byte[] sealed = AtomicFiles.readAtMost(sealedFile, MAX_SEALED_BYTES + 1);
            if (sealed.length > MAX_SEALED_BYTES) {
                throw new UnsealException();
            }
            try (Unsealed unsealed = tao.unseal(sealed)) {
                if (!unsealed.policy().text().equals(policy)) {
                    throw new UnsealException();
                }
                byte[] key = unsealed.data();
                try {
                    if (key.length != Crypter.KEY_BYTES) {
                        throw new UnsealException();
                    }
                    return new MasterKey(Crypter.fromSecretKeyMaterial(key));
                } finally {
                    Arrays.fill(key, (byte) 0);
                }
            }
        }
        byte[] key = tao.getRandomBytes(Crypter.KEY_BYTES);
        try {
            byte[] sealed = tao.seal(key, policy);
            AtomicFiles.createPrivateDirectories(sealedFile.toAbsolutePath().getParent());
            AtomicFiles.writeOwnerOnly(sealedFile, sealed);
            return new MasterKey(Crypter.fromSecretKeyMaterial(key));
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    /** The key's crypter; owned by this object (callers must not close it). */
    Crypter crypter() {
        return crypter;
    }

    @Override
    public void close() {
        crypter.close();
    }

    @Override
    public void destroy() {
        crypter.destroy();
    }

    @Override
    public boolean isDestroyed() {
        return crypter.isDestroyed();
    }

    @Override
    public String toString() {
        return "MasterKey[redacted]";
    }
}
