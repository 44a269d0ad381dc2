package dev.cloudproxy.tao.bridge;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.SealPolicy;
import dev.cloudproxy.tao.SignedStatement;
import dev.cloudproxy.tao.Tao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.TaoName;
import dev.cloudproxy.tao.Unsealed;
import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.auth.AuthBinary;
import dev.cloudproxy.tao.auth.AuthFormatException;
import dev.cloudproxy.tao.auth.AuthText;
import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinTail;
import dev.cloudproxy.tao.auth.Term;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The app-facing {@link Tao} over any of core's {@link CoreTao}s: the same calls with JDK types in
 * place of core's (principals as {@link TaoName}, statements and extensions as auth-language text,
 * attestations as bytes). It adds no state and no check of its own beyond parsing the text it is
 * given; every guarantee is the underlying Tao's, and so is thread safety.
 */
public final class ApiTao implements Tao {
    private final CoreTao tao;

    private ApiTao(CoreTao tao) {
        this.tao = Objects.requireNonNull(tao, "tao");
    }

    /** The API view of {@code tao}. */
    public static Tao of(CoreTao tao) {
        return new ApiTao(tao);
    }

    /** The two forms of a principal name. */
    public static TaoName name(Prin p) {
        return TaoName.of(p.toString(), AuthBinary.encode(p));
    }

    @Override
    public TaoName getTaoName() throws IOException, TaoException {
        return name(tao.getTaoName());
    }

    @Override
    public void extendTaoName(String extensions) throws IOException, TaoException {
        Objects.requireNonNull(extensions, "extensions");
        Term tail;
        try {
            // A principal tail is exactly "ext" followed by extensions: the parser does the rest.
            tail = AuthText.parseTerm("ext." + extensions);
        } catch (AuthFormatException e) {
            throw new IllegalArgumentException("not a list of principal extensions: " + e.getMessage());
        }
        if (!(tail instanceof PrinTail t)) {
            throw new IllegalArgumentException("not a list of principal extensions");
        }
        tao.extendTaoName(t.ext());
    }

    @Override
    public byte[] getRandomBytes(int n) throws IOException, TaoException {
        return tao.getRandomBytes(n);
    }

    @Override
    public byte[] getSharedSecret(int n, SealPolicy policy) throws IOException, TaoException {
        return tao.getSharedSecret(n, policy.text());
    }

    /** The members by their encodings (what a name's equality is); the text of a {@link TaoName} plays no part. */
    @Override
    public byte[] getGroupKey(List<TaoName> members, int n) throws IOException, TaoException {
        Objects.requireNonNull(members, "members");
        if (members.size() > MAX_GROUP_MEMBERS) {
            throw new IllegalArgumentException("a group has 1.." + MAX_GROUP_MEMBERS + " members");
        }
        List<Prin> group = new ArrayList<>(members.size());
        for (TaoName m : members) {
            try {
                group.add(Prin.decode(Objects.requireNonNull(m, "member").encoded()));
            } catch (AuthFormatException e) {
                throw new IllegalArgumentException("a group member is not a principal: " + e.getMessage());
            }
        }
        return tao.getGroupKey(group, n);
    }

    @Override
    public SignedStatement attest(String statement) throws IOException, TaoException {
        Form message;
        try {
            message = AuthText.parseForm(Objects.requireNonNull(statement, "statement"));
        } catch (AuthFormatException e) {
            throw new IllegalArgumentException("not a formula of the auth language: " + e.getMessage());
        }
        Attestation a = tao.attest(message);
        return new SignedStatement(a.serialize(), AuthText.print(a.statement()));
    }

    @Override
    public byte[] seal(byte[] data, SealPolicy policy) throws IOException, TaoException {
        return tao.seal(data, policy.text());
    }

    @Override
    public Unsealed unseal(byte[] sealed) throws IOException, TaoException {
        return tao.unseal(sealed);
    }

    @Override
    public long initCounter(String label) throws IOException, TaoException {
        return tao.initCounter(label);
    }

    @Override
    public long getCounter(String label) throws IOException, TaoException {
        return tao.getCounter(label);
    }

    @Override
    public byte[] rollbackProtectedSeal(String label, byte[] data, SealPolicy policy) throws IOException, TaoException {
        return tao.rollbackProtectedSeal(label, data, policy.text());
    }

    @Override
    public Unsealed rollbackProtectedUnseal(byte[] sealed) throws IOException, TaoException {
        return tao.rollbackProtectedUnseal(sealed);
    }

    @Override
    public String toString() {
        return "ApiTao[" + tao + "]";
    }
}
