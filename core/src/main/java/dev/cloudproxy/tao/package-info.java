/**
 * The Tao: the root of the API that hosted programs and hosts share.
 *
 * <p>Every failure a caller is expected to handle is a checked {@link dev.cloudproxy.tao.TaoException}
 * (a {@link java.security.GeneralSecurityException}); subclasses are named for what the caller can
 * do about it. Transport failures are {@link java.io.IOException}; misuse of an API (bad arguments,
 * a closed key) is an unchecked {@link IllegalArgumentException} or {@link IllegalStateException}.
 * No exception message ever carries secret material.
 */
package dev.cloudproxy.tao;
