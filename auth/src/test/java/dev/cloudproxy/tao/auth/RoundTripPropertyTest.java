package dev.cloudproxy.tao.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Seeded random elements of every shape survive both forms. */
class RoundTripPropertyTest {
    private static final int CASES = 20_000;

    @Test
    void randomForms_surviveBinaryExactly_andTextUpToJunctionFlattening() throws Exception {
        RandomElements gen = new RandomElements(0x7a0L);
        for (int i = 0; i < CASES; i++) {
            Form f = gen.form(1 + i % 7);
            byte[] bin = f.encode();
            assertThat(Form.decode(bin)).as("case %d: %s", i, f).isEqualTo(f);

            String text = f.toString();
            Form parsed = Form.parse(text);
            assertThat(parsed.toString()).as("case %d", i).isEqualTo(text);
            assertThat(Normal.of(parsed)).as("case %d: %s", i, text).isEqualTo(Normal.of(f));
        }
    }

    @Test
    void randomTerms_surviveBothFormsExactly() throws Exception {
        RandomElements gen = new RandomElements(0x7a1L);
        for (int i = 0; i < CASES; i++) {
            Term t = gen.term(1 + i % 6);
            assertThat(Term.decode(t.encode())).as("case %d: %s", i, t).isEqualTo(t);
            assertThat(Term.parse(t.toString())).as("case %d: %s", i, t).isEqualTo(t);
        }
    }

    @Test
    void decodedBytes_reencodeIdentically() throws Exception {
        RandomElements gen = new RandomElements(0x7a2L);
        for (int i = 0; i < 2_000; i++) {
            byte[] bin = gen.form(1 + i % 6).encode();
            assertThat(AuthElement.decode(bin).encode()).isEqualTo(bin);
        }
    }
}
