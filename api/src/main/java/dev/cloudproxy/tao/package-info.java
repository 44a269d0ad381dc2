/**
 * The Tao API that applications see ({@code dev.cloudproxy:tao-api}, JDK only, kilobytes):
 * {@link dev.cloudproxy.tao.Tao} with {@link dev.cloudproxy.tao.Tao#parent()}, principal names
 * ({@link dev.cloudproxy.tao.TaoName}), {@link dev.cloudproxy.tao.SealPolicy},
 * {@link dev.cloudproxy.tao.Unsealed}, {@link dev.cloudproxy.tao.SignedStatement}, the exceptions,
 * and the agent's {@link dev.cloudproxy.tao.TaoSealed}, {@link dev.cloudproxy.tao.TaoSealedState}
 * and {@link dev.cloudproxy.tao.TaoConnections}.
 *
 * <p>Every failure a caller is expected to handle is a checked {@link dev.cloudproxy.tao.TaoException}
 * (a {@link java.security.GeneralSecurityException}); subclasses are named for what the caller can
 * do about it. Transport failures are {@link java.io.IOException}; misuse of an API (bad arguments,
 * a closed key) is an unchecked {@link IllegalArgumentException} or {@link IllegalStateException}.
 * No exception message ever carries secret material.
 *
 * <p>Under the Tao agent the application needs none of it bundled: the agent provides this
 * package behind the application's own class path and binds it to its connection to the host.
 */
package dev.cloudproxy.tao;
