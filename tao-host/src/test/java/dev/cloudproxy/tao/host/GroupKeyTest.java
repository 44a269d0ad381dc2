package dev.cloudproxy.tao.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.GroupKeyRefusedException;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.Str;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.keys.Keys;
import dev.cloudproxy.tao.proto.TaoRpcProtos.TaoRpcError;
import dev.cloudproxy.tao.proto.TaoRpcProtos.TaoRpcRequest;
import dev.cloudproxy.tao.rpc.RpcProtocol;
import dev.cloudproxy.tao.rpc.RpcTao;
import dev.cloudproxy.tao.seal.GroupKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Group keys between programs of real hosts: a root host opened from its directory, and a stacked
 * host (the launcher's kind: {@link HostSetup#openStacked} over an RPC connection to the root
 * host, as {@code StackedHost} opens it) whose app asks over RPC for a group with a program of
 * the root host. This test JVM is the program that reaches each host over RPC; the other
 * programs run in-process ({@link Host#taoFor}), which is what the RPC server calls too.
 */
class GroupKeyTest {
    @TempDir
    Path temp;

    private final List<AutoCloseable> open = new ArrayList<>();
    private int pids = 1000;

    @AfterEach
    void closeAll() throws Exception {
        Collections.reverse(open);
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    private static SubPrin program(String name) {
        return SubPrin.of(PrinExt.of("Program", new Str(name)));
    }

    private <T extends AutoCloseable> T keep(T c) {
        open.add(c);
        return c;
    }

    private OpenedHost rootHost() throws Exception {
        HostDirectory dir = new HostDirectory(temp.resolve("root"));
        if (!Files.exists(dir.config())) {
            HostSetup.initRoot(dir, TestHosts.PASSWORD, Optional.empty(), TestHosts.CHEAP);
        }
        return keep(HostSetup.openRoot(dir, TestHosts.PASSWORD));
    }

    /** A program of {@code host} in this JVM, as the host's RPC server would serve it. */
    private CoreTao inProcess(Host host, String name) {
        return host.taoFor(new HostedProgram(pids++, 1, 1000, program(name)));
    }

    /** This JVM as the program {@code name} of {@code host}, over a real RPC connection. */
    private RpcTao overRpc(Host host, String name, String serverDir) throws Exception {
        HostedPrograms programs = new HostedPrograms();
        programs.register(ProcessHandle.current().pid(), program(name));
        TaoRpcServer server = keep(TaoRpcServer.start(temp.resolve(serverDir), host, programs));
        return keep(RpcTao.connect(server.socketPath()));
    }

    // ---- one host ----

    @Test
    void groupKey_twoProgramsOfOneHost_getTheSameKeyWhateverTheMemberOrder() throws Exception {
        Host host = rootHost().host();
        RpcTao a = overRpc(host, "a", "srv");
        CoreTao b = inProcess(host, "b");

        byte[] fromA = a.getGroupKey(List.of(a.getTaoName(), b.getTaoName()), 32);

        assertThat(b.getGroupKey(List.of(b.getTaoName(), a.getTaoName()), 32)).isEqualTo(fromA);
        assertThat(fromA).isEqualTo(GroupKeys.derive(host.keys().deriver(), host.name(),
                List.of(a.getTaoName(), b.getTaoName()), 32));
    }

    @Test
    void groupKey_aThirdProgramAskingForThePair_isRefused() throws Exception {
        Host host = rootHost().host();
        Prin a = inProcess(host, "a").getTaoName();
        Prin b = inProcess(host, "b").getTaoName();
        CoreTao third = inProcess(host, "c");

        assertThrows(GroupKeyRefusedException.class, () -> third.getGroupKey(List.of(a, b), 32));
        // Nor by claiming to ask for one of them: a program speaks only for its own descendants.
        assertThrows(GroupKeyRefusedException.class, () -> third.getGroupKeyFor(a, List.of(a, b), 32));
    }

    @Test
    void groupKey_aMemberThatExtendedItsName_getsAnotherKey_andNotTheOldOne() throws Exception {
        Host host = rootHost().host();
        CoreTao a = inProcess(host, "a");
        CoreTao b = inProcess(host, "b");
        Prin oldB = b.getTaoName();
        byte[] before = a.getGroupKey(List.of(a.getTaoName(), oldB), 32);

        b.extendTaoName(SubPrin.of(PrinExt.of("Role", new Str("reader"))));

        byte[] after = b.getGroupKey(List.of(a.getTaoName(), b.getTaoName()), 32);
        assertThat(after).isNotEqualTo(before);
        assertThat(a.getGroupKey(List.of(a.getTaoName(), b.getTaoName()), 32)).isEqualTo(after);
        assertThrows(GroupKeyRefusedException.class, () -> b.getGroupKey(List.of(a.getTaoName(), oldB), 32));
    }

    @Test
    void groupKey_afterTheHostIsReopenedFromItsDirectory_isTheSame() throws Exception {
        OpenedHost first = rootHost();
        CoreTao a = inProcess(first.host(), "a");
        List<Prin> group = List.of(a.getTaoName(), inProcess(first.host(), "b").getTaoName());
        byte[] key = a.getGroupKey(group, 32);
        first.close();

        CoreTao again = inProcess(rootHost().host(), "a");

        assertThat(again.getTaoName()).isEqualTo(group.get(0));
        assertThat(again.getGroupKey(group, 32)).isEqualTo(key);
    }

    @Test
    void groupKey_aRootHostThatIsNotAnAncestorOfEveryMember_refuses() throws Exception {
        OpenedHost root = rootHost();
        CoreTao a = inProcess(root.host(), "a");
        Host otherHost = Host.root(keep(Keys.generate()));
        Prin elsewhere = inProcess(otherHost, "b").getTaoName();

        GroupKeyRefusedException e = assertThrows(GroupKeyRefusedException.class,
                () -> a.getGroupKey(List.of(a.getTaoName(), elsewhere), 32));
        assertThat(e).hasMessageContaining("ancestor");
    }

    // ---- two levels: a stacked host (the launcher's kind) under the root host ----

    /** The root host, this JVM as its program "launcher", and the stacked host that program opens. */
    private record Stack(OpenedHost root, RpcTao launcherConnection, OpenedHost launcher) {}

    private Stack stack() throws Exception {
        OpenedHost root = rootHost();
        RpcTao launcher = overRpc(root.host(), "launcher", "root-srv");
        HostDirectory dir = new HostDirectory(temp.resolve("launcher"));
        HostSetup.initStacked(dir, launcher, "rpc:test", Optional.empty());
        return new Stack(root, launcher, keep(HostSetup.openStacked(dir, launcher)));
    }

    @Test
    void groupKey_commonAncestorTwoLevelsUp_theLauncherForwards_theRootAnswers() throws Exception {
        Stack s = stack();
        RpcTao app = overRpc(s.launcher().host(), "app", "launcher-srv");
        CoreTao rootProgram = inProcess(s.root().host(), "p");
        List<Prin> group = List.of(app.getTaoName(), rootProgram.getTaoName());

        byte[] fromApp = app.getGroupKey(group, 32);

        assertThat(rootProgram.getGroupKey(List.of(group.get(1), group.get(0)), 32)).isEqualTo(fromApp);
        // The root host's key and name, not the launcher's: the root answered.
        assertThat(fromApp).isEqualTo(GroupKeys.derive(s.root().host().keys().deriver(), s.root().host().name(), group, 32));
    }

    @Test
    void groupKey_membersAllBelowTheLauncher_theLauncherAnswersItself() throws Exception {
        Stack s = stack();
        RpcTao app = overRpc(s.launcher().host(), "app", "launcher-srv");
        Prin sibling = inProcess(s.launcher().host(), "app2").getTaoName();
        List<Prin> group = List.of(app.getTaoName(), sibling);

        assertThat(app.getGroupKey(group, 32)).isEqualTo(
                GroupKeys.derive(s.launcher().host().keys().deriver(), s.launcher().host().name(), group, 32));
    }

    @Test
    void groupKey_noHostOnTheWayUpIsAnAncestorOfEveryMember_isRefusedOverBothHops() throws Exception {
        Stack s = stack();
        RpcTao app = overRpc(s.launcher().host(), "app", "launcher-srv");
        Host otherHost = Host.root(keep(Keys.generate()));
        Prin elsewhere = inProcess(otherHost, "b").getTaoName();

        assertThrows(GroupKeyRefusedException.class, () -> app.getGroupKey(List.of(app.getTaoName(), elsewhere), 32));
    }

    @Test
    void groupKeyFor_aForwardingHostAskingForAProgramNotBelowIt_isRefused() throws Exception {
        Stack s = stack();
        Prin app = inProcess(s.launcher().host(), "app").getTaoName();
        Prin rootProgram = inProcess(s.root().host(), "p").getTaoName();

        // The launcher's own connection to the root, claiming the root's program asked.
        assertThrows(GroupKeyRefusedException.class,
                () -> s.launcherConnection().getGroupKeyFor(rootProgram, List.of(app, rootProgram), 32));
        // For its own app it may ask.
        assertThat(s.launcherConnection().getGroupKeyFor(app, List.of(app, rootProgram), 32)).hasSize(32);
    }

    // ---- the RPC operation ----

    @Test
    void rpcGetGroupKey_malformedOrOversizedRequests_areRefusedWithTypedErrors() throws Exception {
        Host host = rootHost().host();
        CoreTao a = inProcess(host, "a");
        ByteString me = ByteString.copyFrom(a.getTaoName().encode());
        ByteString peer = ByteString.copyFrom(inProcess(host, "b").getTaoName().encode());
        TaoRpcRequest.Builder ok = TaoRpcRequest.newBuilder().setOp(RpcProtocol.GET_GROUP_KEY).setSeq(1).setSize(32)
                .addMembers(me).addMembers(peer);
        assertThat(TaoRpcServer.handle(a, ok.build()).getData().size()).isEqualTo(32);

        TaoRpcRequest.Builder tooMany = ok.clone();
        for (int i = 0; i < CoreTao.MAX_GROUP_MEMBERS; i++) {
            tooMany.addMembers(peer);
        }
        assertThat(errorOf(a, tooMany)).isEqualTo(TaoRpcError.TAO_RPC_BAD_REQUEST);
        assertThat(errorOf(a, ok.clone().clearMembers())).isEqualTo(TaoRpcError.TAO_RPC_BAD_REQUEST);
        assertThat(errorOf(a, ok.clone().addMembers(ByteString.copyFrom(new byte[] {1, 2, 3}))))
                .isEqualTo(TaoRpcError.TAO_RPC_BAD_REQUEST);
        assertThat(errorOf(a, ok.clone().addMembers(ByteString.copyFrom(new byte[CoreTao.MAX_GROUP_MEMBER_NAME_BYTES + 1]))))
                .isEqualTo(TaoRpcError.TAO_RPC_BAD_REQUEST);
        assertThat(errorOf(a, ok.clone().setAsker(ByteString.copyFrom(new byte[] {9}))))
                .isEqualTo(TaoRpcError.TAO_RPC_BAD_REQUEST);
        assertThat(errorOf(a, ok.clone().clearSize())).isEqualTo(TaoRpcError.TAO_RPC_BAD_REQUEST);
        assertThat(errorOf(a, ok.clone().setSize(0))).isEqualTo(TaoRpcError.TAO_RPC_INVALID_ARGUMENT);
        assertThat(errorOf(a, ok.clone().setSize(CoreTao.MAX_GROUP_KEY_BYTES + 1)))
                .isEqualTo(TaoRpcError.TAO_RPC_INVALID_ARGUMENT);
        assertThat(errorOf(a, ok.clone().addMembers(peer))).isEqualTo(TaoRpcError.TAO_RPC_INVALID_ARGUMENT);
        assertThat(errorOf(a, ok.clone().clearMembers().addMembers(peer))).isEqualTo(TaoRpcError.TAO_RPC_GROUP_REFUSED);
    }

    private static TaoRpcError errorOf(CoreTao tao, TaoRpcRequest.Builder request) {
        return TaoRpcServer.handle(tao, request.build()).getError();
    }
}
