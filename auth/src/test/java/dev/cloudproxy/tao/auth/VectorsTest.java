package dev.cloudproxy.tao.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class VectorsTest {
    static List<TestVectors.Vector> vectors() throws Exception {
        return TestVectors.authBinary();
    }

    @ParameterizedTest
    @MethodSource("vectors")
    void decode_goVector_printsGoText(TestVectors.Vector v) throws Exception {
        AuthElement e = AuthElement.decode(HexFormat.of().parseHex(v.hex()));
        assertThat(e.toString()).isEqualTo(v.text());
    }

    @ParameterizedTest
    @MethodSource("vectors")
    void parse_goText_encodesToGoBytes(TestVectors.Vector v) throws Exception {
        AuthElement e = AuthElement.parse(v.text());
        assertThat(HexFormat.of().formatHex(e.encode())).isEqualTo(v.hex());
    }

    @ParameterizedTest
    @MethodSource("vectors")
    void parseAndDecode_goVector_giveEqualElements(TestVectors.Vector v) throws Exception {
        assertThat(AuthElement.parse(v.text())).isEqualTo(AuthElement.decode(HexFormat.of().parseHex(v.hex())));
    }
}
