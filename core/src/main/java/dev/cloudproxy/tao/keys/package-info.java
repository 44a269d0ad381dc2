/**
 * Keys: signing, authenticated encryption, key derivation, and key sets stored under a password.
 *
 * <ul>
 *   <li>{@link dev.cloudproxy.tao.keys.Signer} / {@link dev.cloudproxy.tao.keys.Verifier}: ECDSA
 *       P-256 with SHA-256, DER signatures, PKIX public keys; a key's principal is
 *       {@code key([SHA-256 of its PKIX DER])}. Verification returns normally or throws
 *       {@link dev.cloudproxy.tao.VerificationException}.
 *   <li>{@link dev.cloudproxy.tao.keys.Crypter}: AES-256-GCM with a versioned ciphertext format
 *       and associated data; failures are one {@link dev.cloudproxy.tao.DecryptionException}.
 *   <li>{@link dev.cloudproxy.tao.keys.Deriver}: HKDF-SHA256.
 *   <li>{@link dev.cloudproxy.tao.keys.Keys}: the three together, saved atomically in a directory
 *       and protected by a password through Argon2id.
 * </ul>
 *
 * <p>Secret holders are final classes that are {@link java.lang.AutoCloseable} and
 * {@link javax.security.auth.Destroyable}: closing zeroes their copy of the key, and using a
 * closed key throws {@link IllegalStateException}. They have identity {@code equals}, a
 * {@code toString} that shows no secret, and one way to read raw key material,
 * {@code exportSecretKeyMaterial()}, for code that stores keys under encryption.
 *
 * <p>Cryptography runs on the JDK (SHA-256, AES-GCM, HMAC) where it is fastest and on
 * BouncyCastle's lightweight API (ECDSA, Argon2id) where the JDK is slow or lacking; no security
 * provider is ever registered.
 */
package dev.cloudproxy.tao.keys;
