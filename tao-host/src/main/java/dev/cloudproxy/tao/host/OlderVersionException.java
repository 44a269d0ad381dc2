package dev.cloudproxy.tao.host;

import dev.cloudproxy.tao.VerificationException;
import java.math.BigInteger;
import java.util.Objects;

/**
 * A signed policy or CRL that verifies but is older than the one the host already holds: a
 * replay (or a service that lags behind another replica). The host keeps what it holds.
 */
public final class OlderVersionException extends VerificationException {
    private static final long serialVersionUID = 1L;

    private final String what;
    private final BigInteger offered;
    private final BigInteger held;

    public OlderVersionException(String what, BigInteger offered, BigInteger held) {
        super("refused " + what + " version " + offered + ": older than the version held (" + held
                + "), a replayed older " + what);
        this.what = Objects.requireNonNull(what, "what");
        this.offered = Objects.requireNonNull(offered, "offered");
        this.held = Objects.requireNonNull(held, "held");
    }

    /** {@code "policy"} or {@code "CRL"}. */
    public String what() {
        return what;
    }

    /** The version that was refused (policy version, or CRL number). */
    public BigInteger offered() {
        return offered;
    }

    /** The version the host holds and keeps. */
    public BigInteger held() {
        return held;
    }
}
