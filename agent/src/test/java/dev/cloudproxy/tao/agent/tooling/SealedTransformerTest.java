package dev.cloudproxy.tao.agent.tooling;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import org.junit.jupiter.api.Test;

class SealedTransformerTest {
    static final class Plain {
        static int x = 1;
    }

    private static byte[] bytes(Class<?> c) throws Exception {
        try (InputStream in = c.getResourceAsStream(c.getName().substring(c.getName().lastIndexOf('.') + 1) + ".class")) {
            return in.readAllBytes();
        }
    }

    @Test
    void classWithoutSealedFields_isLeftAlone() throws Exception {
        byte[] b = bytes(Plain.class);
        ClassLoader loader = getClass().getClassLoader();

        assertThat(new SealedTransformer().transform(loader, "x/Plain", null, null, b)).isNull();
    }

    @Test
    void contains_findsTheNeedleAnywhere() {
        byte[] hay = "abcLdev/cloudproxy/tao/TaoSealed;xyz".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(SealedTransformer.contains(hay, "abc".getBytes(java.nio.charset.StandardCharsets.UTF_8))).isTrue();
        assertThat(SealedTransformer.contains(hay, "xyz".getBytes(java.nio.charset.StandardCharsets.UTF_8))).isTrue();
        assertThat(SealedTransformer.contains(hay, "xyzw".getBytes(java.nio.charset.StandardCharsets.UTF_8))).isFalse();
        assertThat(SealedTransformer.contains(new byte[0], new byte[] {1})).isFalse();
    }
}
