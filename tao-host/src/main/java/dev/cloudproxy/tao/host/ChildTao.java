package dev.cloudproxy.tao.host;

import dev.cloudproxy.tao.AttestRequest;
import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.Unsealed;
import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.Says;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.guard.Guard;
import dev.cloudproxy.tao.seal.GroupKeys;
import dev.cloudproxy.tao.seal.SealFormat;
import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A hosted program's Tao, inside the host: what the RPC server calls for a connection from that
 * program. {@code self} binds to the program's full current name, {@code any} to the host's name;
 * rollback counters are the host's, keyed by the program's full current name.
 *
 * <p>{@code app:<app-id>} binds to the host's name and the app id, and the host's guard decides
 * every seal and unseal of it, before anything is opened: the program's full current name must be
 * authorized for {@code AppState} with the app id. The app's rollback counters are keyed by the
 * app ({@link SealFormat#appOwner}), not by a name, so every admitted version shares them.
 *
 * <p>Group keys: the host answers for a group whose members are all below it (strict extensions
 * of its name) with its own deriving key; any other group it forwards to its parent Tao, if it
 * has one, on behalf of the same asker (the program or, when the program is itself a host, one of
 * the program's descendants), so the same group gets the same key from the same ancestor
 * whichever member asks.
 */
final class ChildTao implements CoreTao {
    private final Host host;
    private final HostedProgram program;

    ChildTao(Host host, HostedProgram program) {
        this.host = host;
        this.program = program;
    }

    @Override
    public Prin getTaoName() {
        return host.name().extend(program.subprin());
    }

    @Override
    public void extendTaoName(SubPrin subprin) {
        program.extend(Objects.requireNonNull(subprin, "subprin"));
    }

    @Override
    public byte[] getRandomBytes(int n) {
        if (n < 0 || n > MAX_RANDOM_BYTES) {
            throw new IllegalArgumentException("random byte count must be 0.." + MAX_RANDOM_BYTES);
        }
        byte[] b = new byte[n];
        host.random().nextBytes(b);
        return b;
    }

    @Override
    public byte[] getSharedSecret(int n, String policy) {
        return SealFormat.sharedSecret(host.keys().deriver(), n, policy, getTaoName(), host.name());
    }

    @Override
    public byte[] getGroupKeyFor(Prin asker, List<Prin> members, int n) throws IOException, TaoException {
        List<Prin> group = GroupKeys.checkRequest(members, n);
        GroupKeys.checkAsker(getTaoName(), asker, group);
        if (GroupKeys.hostIsAncestorOfAll(host.name(), group)) {
            return GroupKeys.derive(host.keys().deriver(), host.name(), group, n);
        }
        Optional<CoreTao> parent = host.parent();
        if (parent.isEmpty()) {
            throw GroupKeys.notAnAncestor();
        }
        // The parent knows this host by its name, and checks that the asker extends it.
        return parent.get().getGroupKeyFor(asker, group, n);
    }

    @Override
    public Attestation attest(AttestRequest request) throws TaoException {
        Objects.requireNonNull(request, "request");
        Says statement = request.statementFor(getTaoName(), host.clock().instant().getEpochSecond());
        return host.delegation().isPresent()
                ? Attestation.sign(host.keys().signer(), statement, host.delegation().get())
                : Attestation.sign(host.keys().signer(), statement);
    }

    @Override
    public byte[] seal(byte[] data, String policy) throws TaoException {
        Optional<String> app = SealFormat.appId(policy);
        if (app.isPresent()) {
            authorizeApp(app.get());
            return SealFormat.sealApp(host.keys().crypter(), data, app.get(), host.name());
        }
        return SealFormat.seal(host.keys().crypter(), data, policy, getTaoName(), host.name());
    }

    @Override
    public Unsealed unseal(byte[] sealed) throws TaoException {
        Optional<String> app = SealFormat.appIdOf(sealed);
        if (app.isPresent()) {
            authorizeApp(app.get());
            return SealFormat.unsealApp(host.keys().crypter(), sealed, host.name());
        }
        return SealFormat.unseal(host.keys().crypter(), sealed, getTaoName(), host.name());
    }

    /**
     * Refuses unless the guard authorizes the caller's full name for the app's state. The refusal
     * names the fact that would admit it: the name and the app id are not secrets, and the id is
     * in the blob's clear header anyway.
     */
    private void authorizeApp(String appId) throws TaoException {
        Prin caller = getTaoName();
        Optional<Guard> guard = host.guard();
        if (guard.isEmpty()) {
            throw new TaoException("this host has no guard to decide who may open app state (policy \""
                    + CoreTao.SEAL_POLICY_APP_PREFIX + appId + "\")");
        }
        if (!guard.get().isAuthorized(caller, SealFormat.APP_STATE_OP, List.of(appId))) {
            throw new TaoException("the host's guard does not admit this program to the state of app \"" + appId
                    + "\": it needs Authorized(" + caller + ", \"" + SealFormat.APP_STATE_OP + "\", \"" + appId
                    + "\") (the operator adds it to the guard's policy to admit this version; "
                    + "an older version the operator retracted stays refused)");
        }
    }

    @Override
    public long initCounter(String label) throws IOException, TaoException {
        return host.counters().init(getTaoName(), label);
    }

    @Override
    public long getCounter(String label) throws TaoException {
        return host.counters().get(getTaoName(), label);
    }

    @Override
    public byte[] rollbackProtectedSeal(String label, byte[] data, String policy) throws IOException, TaoException {
        Optional<String> app = SealFormat.appId(policy);
        if (app.isPresent()) {
            authorizeApp(app.get());
            return host.counters().sealApp(host.keys().crypter(), host.name(), app.get(), label, data);
        }
        return host.counters().seal(host.keys().crypter(), getTaoName(), host.name(), label, data, policy);
    }

    @Override
    public Unsealed rollbackProtectedUnseal(byte[] sealed) throws IOException, TaoException {
        Optional<String> app = SealFormat.appIdOf(sealed);
        if (app.isPresent()) {
            authorizeApp(app.get());
            return host.counters().unsealApp(host.keys().crypter(), sealed, host.name());
        }
        return host.counters().unseal(host.keys().crypter(), sealed, getTaoName(), host.name());
    }

    @Override
    public String toString() {
        return "ChildTao[" + getTaoName() + "]";
    }
}
