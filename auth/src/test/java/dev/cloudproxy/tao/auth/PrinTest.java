package dev.cloudproxy.tao.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PrinTest {
    private static final Prin HOST = Prin.key(new byte[] {1, 2});
    private static final PrinExt PROG = PrinExt.of("Program", Bytes.ofHex("aa"));
    private static final PrinExt JVM = PrinExt.of("Jvm", Bytes.ofHex("bb"));

    @Test
    void extend_appendsExtensions_inOrder() throws Exception {
        Prin child = HOST.extend(PROG).extend(JVM);
        assertThat(child.toString()).isEqualTo("key([0102]).Program([aa]).Jvm([bb])");
        assertThat(child).isEqualTo(HOST.extend(PROG, JVM)).isEqualTo(Prin.parse(child.toString()));
    }

    @Test
    void isExtensionOf_holdsForProperExtensionsOnly() {
        Prin prog = HOST.extend(PROG);
        Prin app = prog.extend(JVM);
        assertThat(app.isExtensionOf(HOST)).isTrue();
        assertThat(app.isExtensionOf(prog)).isTrue();
        assertThat(prog.isExtensionOf(prog)).isFalse();
        assertThat(prog.isIdenticalOrExtensionOf(prog)).isTrue();
        assertThat(HOST.isExtensionOf(prog)).isFalse();
        assertThat(prog.isExtensionOf(app)).isFalse();
    }

    @Test
    void isExtensionOf_requiresSameTypeAndKey() {
        Prin other = Prin.key(new byte[] {1, 3});
        Prin tpm = new Prin("tpm", new Bytes(new byte[] {1, 2}), SubPrin.EMPTY);
        assertThat(other.extend(PROG).isExtensionOf(HOST)).isFalse();
        assertThat(tpm.extend(PROG).isExtensionOf(HOST)).isFalse();
    }

    @Test
    void isExtensionOf_comparesWholeExtensions_notTextPrefixes() {
        // key([0102]).Program([aa]) must not count as an ancestor of key([0102]).Program([aabb]).
        Prin a = HOST.extend(PrinExt.of("Program", Bytes.ofHex("aa")));
        Prin b = HOST.extend(PrinExt.of("Program", Bytes.ofHex("aabb")));
        assertThat(b.toString()).startsWith(a.toString().substring(0, a.toString().length() - 2));
        assertThat(b.isExtensionOf(a)).isFalse();
        assertThat(b.isIdenticalOrExtensionOf(a)).isFalse();
    }

    @Test
    void parentAndLastExtension_splitOffTheLastExtension() {
        Prin app = HOST.extend(PROG, JVM);
        assertThat(app.parent()).contains(HOST.extend(PROG));
        assertThat(app.lastExtension()).contains(JVM);
        assertThat(app.parent().orElseThrow().extend(app.lastExtension().orElseThrow())).isEqualTo(app);
        assertThat(HOST.parent()).isEmpty();
        assertThat(HOST.lastExtension()).isEmpty();
        assertThat(app.root()).isEqualTo(HOST);
    }

    @Test
    void extensionsBeyond_returnsTheTail() {
        Prin app = HOST.extend(PROG, JVM);
        assertThat(app.extensionsBeyond(HOST)).isEqualTo(SubPrin.of(PROG, JVM));
        assertThat(app.extensionsBeyond(app)).isEqualTo(SubPrin.EMPTY);
        assertThrows(IllegalArgumentException.class, () -> HOST.extensionsBeyond(app));
    }

    @Test
    void tpm2Names_parseBack() throws Exception {
        String name = "tpm2([aabbcc]).PCRs(\"17,18\", \"00ff,11ee\").LinuxHost([01]).Program([02])";
        assertThat(Prin.parse(name).toString()).isEqualTo(name);
        assertThat(Prin.parse(name).type()).isEqualTo("tpm2");
    }
}
