package dev.cloudproxy.tao.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.auth.Form;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class DomainTemplateTest {
    private static final String H = "ab".repeat(32);
    private static final String HOST = "key([" + "11".repeat(32) + "])";

    private static DomainTemplate parse(String text) throws DomainException {
        return DomainTemplate.parse(text.getBytes(StandardCharsets.UTF_8), "t");
    }

    private static String error(String text) {
        return assertThrows(DomainException.class, () -> parse(text)).getMessage();
    }

    @Test
    void sample_parsesWithItsRules() throws Exception {
        DomainTemplate t = DomainTest.sampleTemplate("");

        assertThat(t.name()).isEqualTo("Example Tao Domain");
        assertThat(t.x509().country()).isEqualTo("US");
        assertThat(t.guardType()).isEqualTo(GuardType.DATALOG);
        assertThat(t.validityDays()).isEqualTo(3650);
        assertThat(t.policy()).hasSize(11);
    }

    @Test
    void entries_becomeFactsInTheOrderWritten() throws Exception {
        DomainTemplate t = parse("""
                # comment
                name = d
                guard = datalog
                program = %s
                host = %s
                linux_host = [%s]
                trusted_guard = ext.DatalogGuard([00])
                can_execute = %s.Program([01])
                rule = P(1) \r
                """.formatted(H, HOST, H, HOST));

        assertThat(t.policy()).containsExactly(
                Form.parse("TrustedProgramHash(ext.Program([" + H + "]))"),
                Form.parse("TrustedHost(" + HOST + ")"),
                Form.parse("TrustedLinuxHost(ext.LinuxHost([" + H + "]))"),
                Form.parse("TrustedGuard(ext.DatalogGuard([00]))"),
                Form.parse("Authorized(" + HOST + ".Program([01]), \"Execute\")"),
                Form.parse("P(1)"));
        assertThat(t.x509()).isEqualTo(DomainTemplate.X509Details.NONE);
        assertThat(t.validityDays()).isEqualTo(DomainTemplate.DEFAULT_VALIDITY_DAYS);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "guard = datalog                        | t: no name",
        "name = d                               | t: no guard",
        "name = d\\nname = e\\nguard = acl      | t line 2: name given twice",
        "name = d\\nguard = none                | t line 2: unknown guard type (expected liberal, conservative, acl or datalog)",
        "name = d\\nguard = acl\\ncolour = red  | t line 3: unknown key colour",
        "name = d\\nguard = acl\\njust text     | t line 3: expected key = value",
        "name = d\\nguard = acl\\nprogram = 00  | t line 3: program: a hash must be 32 bytes (64 hex digits)",
        "name = d\\nguard = acl\\nhost = key(   | t line 3: host: ",
        "name = d\\nguard = acl\\nrule = P(     | t line 3: rule: ",
        "name = d\\nguard = acl\\nvalidity_days = -1 | t line 3: validity_days: not a number of days",
        "name = d\\nguard = acl\\nvalidity_days = 0 | t: validity must be 1 to 36500 days",
        "name = d\\nguard = acl\\nx509.country = USA | t: country must be two upper-case letters",
        "name = d\\nguard = liberal\\nhost = key([00]) | t: a liberal guard has a fixed policy; it cannot hold rules, programs or hosts",
        "name = d\\nguard = acl\\ntrusted_guard = key([00]) | t line 3: trusted_guard: expected a principal tail such as ext.DatalogGuard([..])",
    })
    void badTemplates_areRefusedNamingTheLine(String text, String message) {
        assertThat(error(text.replace("\\n", "\n"))).startsWith(message.strip());
    }

    @Test
    void controlCharactersAndBadUtf8_areRefused() {
        assertThat(error("name = a\u0007b\nguard = acl")).isEqualTo("t line 1: control character");
        assertThrows(DomainException.class, () -> DomainTemplate.parse(new byte[] {'n', '=', (byte) 0xff}, "t"));
    }

    @Test
    void oversizedTemplates_areRefused() {
        assertThat(error("#" + "x".repeat(DomainTemplate.MAX_FILE_BYTES))).startsWith("t is larger than");
        assertThat(error("#\n".repeat(KeyValueText.MAX_LINES + 1))).startsWith("t has more than");
        assertThat(error("# " + "x".repeat(KeyValueText.MAX_LINE_CHARS))).startsWith("t line 1: longer than");
    }

    @Test
    void longNames_areRefused() throws Exception {
        assertThat(error("name = " + "n".repeat(65) + "\nguard = acl")).startsWith("t: a domain name is 1 to 64");
        assertThat(parse("name = " + "n".repeat(64) + "\nguard = acl").name()).hasSize(64);
    }
}
