package dev.cloudproxy.tao.host;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudproxy.tao.AbstractTaoContractTest;
import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.attestation.AttestationVerifier;
import dev.cloudproxy.tao.attestation.VerifiedStatement;
import dev.cloudproxy.tao.auth.Pred;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.keys.Keys;
import dev.cloudproxy.tao.rpc.RpcTao;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Tao contract over a two-level stack, every hop over real RPC: a root host serves this JVM
 * as its program; through that connection (the parent Tao) a stacked host is initialized and
 * opened from a host directory ({@link HostSetup}), and serves this JVM again as its program.
 */
class TwoLevelStackContractTest extends AbstractTaoContractTest {
    @TempDir
    Path temp;

    private record Stack(Path stackedDir, SubPrin program, List<AutoCloseable> parts) {}

    private final Map<CoreTao, Stack> stacks = new IdentityHashMap<>();
    private final List<Keys> rootKeys = new ArrayList<>();
    private final List<AutoCloseable> open = new ArrayList<>();
    private int count;

    // The root host and its server live for the whole test; each Tao gets its own stacked host.
    private TaoRpcServer rootServer;

    private RpcTao parentConnection() throws Exception {
        if (rootServer == null) {
            Keys k = Keys.generate();
            rootKeys.add(k);
            HostedPrograms programs = new HostedPrograms();
            programs.register(ProcessHandle.current().pid(), RpcTaoContractTest.freshProgram());
            rootServer = TaoRpcServer.start(temp.resolve("root"), Host.root(k), programs);
        }
        return RpcTao.connect(rootServer.socketPath());
    }

    @Override
    protected CoreTao newTao() throws Exception {
        Path dir = temp.resolve("stacked" + count++);
        try (RpcTao parent = parentConnection()) {
            HostSetup.initStacked(new HostDirectory(dir), parent, "rpc:test", Optional.empty());
        }
        return serve(dir, RpcTaoContractTest.freshProgram());
    }

    @Override
    protected CoreTao restart(CoreTao tao) throws Exception {
        Stack s = stacks.get(tao);
        return serve(s.stackedDir(), s.program());
    }

    private CoreTao serve(Path dir, SubPrin program) throws Exception {
        // The stacked host keeps its counters with its parent: the connection lives as long as it.
        RpcTao parent = parentConnection();
        OpenedHost stacked = HostSetup.openStacked(new HostDirectory(dir), parent);
        HostedPrograms programs = new HostedPrograms();
        programs.register(ProcessHandle.current().pid(), program);
        TaoRpcServer server = TaoRpcServer.start(temp.resolve("srv" + count++), stacked.host(), programs);
        RpcTao tao = RpcTao.connect(server.socketPath());
        stacks.put(tao, new Stack(dir, program, List.of(tao, server, stacked, parent)));
        return tao;
    }

    @Override
    protected void release(CoreTao tao) throws Exception {
        for (AutoCloseable c : stacks.get(tao).parts()) {
            c.close();
        }
    }

    @AfterEach
    void closeRoot() throws Exception {
        if (rootServer != null) {
            rootServer.close();
        }
        rootKeys.forEach(Keys::close);
    }

    @Test
    void programAttestation_chainsThroughTheStackedHostToTheRootHostsKey() throws Exception {
        RpcTao child = (RpcTao) newTao();
        try {
            VerifiedStatement v = AttestationVerifier.create().verify(child.attest(Pred.of("Ready")).serialize());
            assertThat(v.speaker()).isEqualTo(child.getTaoName());
            assertThat(v.speaker().root()).isEqualTo(rootKeys.get(0).principal());
            // root key . root program . LiberalGuard . program
            assertThat(v.speaker().ext().size()).isEqualTo(3);
        } finally {
            release(child);
        }
    }
}
