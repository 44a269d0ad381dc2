package dev.cloudproxy.tao.measurement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.auth.AuthBinary;
import dev.cloudproxy.tao.auth.AuthFormatException;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Prin;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The launched program's name form through the auth language's text and binary encodings. */
class NameEncodingTest {
    private static final Measurement.Name NAME = new Measurement.Name(filled(1), "0.1.0-SNAPSHOT", filled(2),
            filled(3), filled(4));
    private static final Prin STACKED = Prin.key(new byte[] {9, 9}).extend(
            new Measurement.Name(filled(5), "", filled(6), filled(7), filled(8)).extension(), NAME.extension());

    private static Bytes filled(int b) {
        byte[] v = new byte[32];
        Arrays.fill(v, (byte) b);
        return new Bytes(v);
    }

    @Test
    void text_stackedLauncherAndApp_roundTrips() throws Exception {
        String text = STACKED.toString();
        assertThat(text).contains(".Jvm(ext.Runtime([0101").contains("ext.Agent(\"0.1.0-SNAPSHOT\", [0202")
                .contains("ext.App([0303").contains("ext.Config([0404");
        assertThat(Prin.parse(text)).isEqualTo(STACKED);
        assertThat(Measurement.Name.of(Prin.parse(text).lastExtension().orElseThrow())).contains(NAME);
    }

    @Test
    void binary_stackedLauncherAndApp_roundTrips() throws Exception {
        byte[] encoded = AuthBinary.encode(STACKED);
        assertThat(Prin.decode(encoded)).isEqualTo(STACKED);
        assertThat(AuthBinary.encode(Prin.decode(encoded))).isEqualTo(encoded);
    }

    @Test
    void binary_truncatedOrExtended_typedError() {
        byte[] encoded = AuthBinary.encode(STACKED);
        for (int n = 0; n < encoded.length; n++) {
            byte[] cut = Arrays.copyOf(encoded, n);
            assertThrows(AuthFormatException.class, () -> Prin.decode(cut), "cut at " + n);
        }
        byte[] longer = Arrays.copyOf(encoded, encoded.length + 1);
        assertThrows(AuthFormatException.class, () -> Prin.decode(longer));
    }

    @Test
    void text_malformedParts_typedErrorOrNotAName() throws Exception {
        String text = STACKED.toString();
        assertThrows(AuthFormatException.class, () -> Prin.parse(text.replace("ext.Runtime(", "ext.Runtime((")));
        assertThrows(AuthFormatException.class, () -> Prin.parse(text.substring(0, text.length() - 1)));
        // Well-formed auth text that is not this form (a part renamed, a part missing) is no Name.
        Prin renamed = Prin.parse(text.replace("ext.App(", "ext.Ap("));
        assertThat(Measurement.Name.of(renamed.lastExtension().orElseThrow())).isEmpty();
        Prin badVersion = Prin.parse(text.replace("\"0.1.0-SNAPSHOT\"", "\"0.1 0\""));
        assertThat(Measurement.Name.of(badVersion.lastExtension().orElseThrow())).isEmpty();
    }
}
