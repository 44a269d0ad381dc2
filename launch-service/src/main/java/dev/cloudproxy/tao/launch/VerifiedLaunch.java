package dev.cloudproxy.tao.launch;

import dev.cloudproxy.tao.auth.Prin;
import java.util.Objects;

/**
 * A launch record that {@link LaunchRecordVerifier} accepted.
 *
 * @param record what the host said
 * @param host the host's name, as its certificate names it (or an extension the host spoke as)
 * @param issuedAt when the host signed it (Unix seconds)
 * @param rootedInTpmQuote whether the signature chain's innermost level is a TPM 2.0 quote (a
 *     TPM-rooted host), rather than a software key
 */
public record VerifiedLaunch(LaunchRecord record, Prin host, long issuedAt, boolean rootedInTpmQuote) {
    public VerifiedLaunch {
        Objects.requireNonNull(record, "record");
        Objects.requireNonNull(host, "host");
    }
}
