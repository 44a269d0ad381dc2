package dev.cloudproxy.tao.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloudproxy.tao.SealPolicy;
import dev.cloudproxy.tao.SignedStatement;
import dev.cloudproxy.tao.Tao;
import dev.cloudproxy.tao.TaoConnections;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.TaoName;
import dev.cloudproxy.tao.TaoSealedState;
import dev.cloudproxy.tao.Unsealed;
import java.lang.reflect.InvocationTargetException;
import java.net.InetAddress;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * How {@link Tao#parent()} finds its implementation. The binding is static state, so the test that
 * needs it unbound runs the API in a class loader of its own.
 */
class TaoBindingTest {
    @Test
    void parent_nothingBoundAndNoService_throwsTaoExceptionSayingThereIsNoTao() throws Exception {
        URL classes = Tao.class.getProtectionDomain().getCodeSource().getLocation();
        try (URLClassLoader fresh = new URLClassLoader(new URL[] {classes}, ClassLoader.getPlatformClassLoader())) {
            Class<?> api = Class.forName(Tao.class.getName(), true, fresh);

            assertThatThrownBy(() -> {
                try {
                    api.getMethod("parent").invoke(null);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            }).isInstanceOf(Class.forName(TaoException.class.getName(), false, fresh))
                    .hasMessageContaining("this program has no Tao");
        }
    }

    @Test
    void bind_once_parentAndHooksReachTheProvider_andASecondBindIsRefused() throws Exception {
        Tao fake = new NameOnlyTao(TaoName.of("key([01])", new byte[] {1}));
        TaoName peer = TaoName.of("key([02])", new byte[] {2});
        int[] flushes = {0};
        TaoBinding.bind(new TaoProvider() {
            @Override
            public Tao parent() {
                return fake;
            }

            @Override
            public void flushSealedState() {
                flushes[0]++;
            }

            @Override
            public Optional<TaoName> peer(int localPort, InetAddress remote, int remotePort) {
                return Optional.of(peer);
            }
        });

        assertThat(Tao.parent()).isSameAs(fake);
        TaoSealedState.flush();
        assertThat(flushes[0]).isEqualTo(1);
        try (SocketChannel unconnected = SocketChannel.open()) {
            assertThat(TaoConnections.peer(unconnected)).isEmpty(); // not connected: not asked
        }
        assertThatThrownBy(() -> TaoBinding.bind(() -> fake))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("a Tao provider is already bound");
        assertThat(Tao.parent()).isSameAs(fake);
    }

    @Test
    void taoName_equalEncodings_areEqual_andTheValueIsCopied() {
        byte[] bytes = {1, 2, 3};
        TaoName a = TaoName.of("key([010203])", bytes);
        bytes[0] = 9;

        assertThat(a).isEqualTo(TaoName.of("key([010203])", new byte[] {1, 2, 3})).hasToString("key([010203])");
        assertThat(a.encoded()).containsExactly(1, 2, 3);
        assertThatThrownBy(() -> TaoName.of("", new byte[] {1})).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sealPolicy_fromText_roundTripsAndRefusesOthers() {
        for (SealPolicy p : SealPolicy.values()) {
            assertThat(SealPolicy.fromText(p.text())).isSameAs(p);
        }
        assertThatThrownBy(() -> SealPolicy.fromText("SELF")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void unsealed_toStringAndClose_neverShowAndZeroThePlaintext() {
        Unsealed u = new Unsealed("secret".getBytes(StandardCharsets.UTF_8), SealPolicy.SELF);

        assertThat(u).hasToString("Unsealed[policy=self, 6 bytes, redacted]");
        u.close();
        assertThat(u.isDestroyed()).isTrue();
        assertThatThrownBy(u::data).isInstanceOf(IllegalStateException.class);
    }

    /** A Tao that only knows its name (the other calls are not what this test is about). */
    private record NameOnlyTao(TaoName name) implements Tao {
        @Override
        public TaoName getTaoName() {
            return name;
        }

        @Override
        public void extendTaoName(String extensions) {
            throw new UnsupportedOperationException();
        }

        @Override
        public byte[] getRandomBytes(int n) {
            throw new UnsupportedOperationException();
        }

        @Override
        public byte[] getSharedSecret(int n, SealPolicy policy) {
            throw new UnsupportedOperationException();
        }

        @Override
        public byte[] getGroupKey(List<TaoName> members, int n) {
            throw new UnsupportedOperationException();
        }

        @Override
        public SignedStatement attest(String statement) {
            throw new UnsupportedOperationException();
        }

        @Override
        public byte[] seal(byte[] data, SealPolicy policy) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Unsealed unseal(byte[] sealed) {
            throw new UnsupportedOperationException();
        }

        @Override
        public long initCounter(String label) {
            throw new UnsupportedOperationException();
        }

        @Override
        public long getCounter(String label) {
            throw new UnsupportedOperationException();
        }

        @Override
        public byte[] rollbackProtectedSeal(String label, byte[] data, SealPolicy policy) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Unsealed rollbackProtectedUnseal(byte[] sealed) {
            throw new UnsupportedOperationException();
        }
    }
}
