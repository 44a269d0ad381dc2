package dev.cloudproxy.tao.host;

import dev.cloudproxy.tao.AttestRequest;
import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.UnsealException;
import dev.cloudproxy.tao.Unsealed;
import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.Says;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.seal.SealFormat;
import java.io.IOException;
import java.util.Objects;

/**
 * A hosted program's Tao, inside the host: what the RPC server calls for a connection from that
 * program. {@code self} binds to the program's full current name, {@code any} to the host's name;
 * rollback counters are the host's, keyed by the program's full current name.
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
    public Attestation attest(AttestRequest request) throws TaoException {
        Objects.requireNonNull(request, "request");
        Says statement = request.statementFor(getTaoName(), host.clock().instant().getEpochSecond());
        return host.delegation().isPresent()
                ? Attestation.sign(host.keys().signer(), statement, host.delegation().get())
                : Attestation.sign(host.keys().signer(), statement);
    }

    @Override
    public byte[] seal(byte[] data, String policy) {
        return SealFormat.seal(host.keys().crypter(), data, policy, getTaoName(), host.name());
    }

    @Override
    public Unsealed unseal(byte[] sealed) throws UnsealException {
        return SealFormat.unseal(host.keys().crypter(), sealed, getTaoName(), host.name());
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
        return host.counters().seal(host.keys().crypter(), getTaoName(), host.name(), label, data, policy);
    }

    @Override
    public Unsealed rollbackProtectedUnseal(byte[] sealed) throws IOException, TaoException {
        return host.counters().unseal(host.keys().crypter(), sealed, getTaoName(), host.name());
    }

    @Override
    public String toString() {
        return "ChildTao[" + getTaoName() + "]";
    }
}
