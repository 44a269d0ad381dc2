package dev.cloudproxy.tao.host;

import dev.cloudproxy.tao.AbstractTaoContractTest;
import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.keys.Keys;
import dev.cloudproxy.tao.rpc.RpcTao;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Tao contract over real RPC: this test JVM is registered as a hosted program of a host
 * serving on a Unix socket, and talks to it through {@link RpcTao}.
 */
class RpcTaoContractTest extends AbstractTaoContractTest {
    @TempDir
    Path temp;

    private record Setup(Host host, SubPrin program, TaoRpcServer server) {}

    private final Map<CoreTao, Setup> setups = new IdentityHashMap<>();
    private final List<Keys> keys = new ArrayList<>();
    private int count;

    /**
     * The host over {@code keys}; the stacked variant overrides it. A restart reuses the host: the
     * same keys (and delegation), a new server and a new registration of the same program.
     */
    protected Host host(Keys hostKeys) throws Exception {
        return Host.root(hostKeys);
    }

    static SubPrin freshProgram() {
        byte[] hash = new byte[32];
        new SecureRandom().nextBytes(hash);
        return SubPrin.of(PrinExt.of("Program", new Bytes(hash)));
    }

    @Override
    protected CoreTao newTao() throws Exception {
        Keys k = Keys.generate();
        keys.add(k);
        return serve(new Setup(host(k), freshProgram(), null));
    }

    @Override
    protected CoreTao restart(CoreTao tao) throws Exception {
        return serve(setups.get(tao));
    }

    private CoreTao serve(Setup s) throws Exception {
        HostedPrograms programs = new HostedPrograms();
        programs.register(ProcessHandle.current().pid(), s.program());
        TaoRpcServer server = TaoRpcServer.start(temp.resolve("host" + count++), s.host(), programs);
        RpcTao tao = RpcTao.connect(server.socketPath());
        setups.put(tao, new Setup(s.host(), s.program(), server));
        return tao;
    }

    @Override
    protected void release(CoreTao tao) throws Exception {
        ((RpcTao) tao).close();
        setups.get(tao).server().close();
    }

    @AfterEach
    void closeKeys() {
        keys.forEach(Keys::close);
    }
}
