package dev.cloudproxy.tao.host;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.Says;
import dev.cloudproxy.tao.auth.Speaksfor;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.guard.Guard;
import dev.cloudproxy.tao.keys.Keys;
import dev.cloudproxy.tao.keys.Signer;
import dev.cloudproxy.tao.seal.RollbackCounters;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A host that holds its own keys and gives each program it runs a {@link CoreTao}: the program's
 * name is the host's name extended by the program's subprincipal, its seals and shared secrets
 * come from the host's keys bound to that name, and its attestations are signed by the host's key.
 *
 * <p>Either the host's name is its own key principal or an extension of it (a root host on soft
 * keys), or the host's parent Tao delegated a name to the host's key ({@code key speaksfor name}),
 * and that delegation rides along with every attestation so that a verifier can follow the chain
 * to the parent's root.
 *
 * <p>A stacked host that knows its parent Tao ({@link #withParent}) forwards the group-key
 * requests of its programs that it cannot answer itself to that parent, on the asking program's
 * behalf ({@link CoreTao#getGroupKeyFor}); a host without one refuses them.
 *
 * <p>The host does not own the keys (nor the parent): whoever made them closes them, after the
 * host is done.
 */
public final class Host {
    private final Keys keys;
    private final Prin name;
    private final Attestation delegation;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final RollbackCounters counters;
    private final Guard guard;
    private final CoreTao parent;

    private Host(Keys keys, Prin name, Attestation delegation, Clock clock, RollbackCounters counters, Guard guard,
            CoreTao parent) {
        this.keys = keys;
        this.name = name;
        this.delegation = delegation;
        this.clock = clock;
        this.counters = counters;
        this.guard = guard;
        this.parent = parent;
    }

    private Host(Keys keys, Prin name, Attestation delegation, Clock clock) {
        this(keys, name, delegation, clock, RollbackCounters.inMemory(), null, null);
    }

    /**
     * This host with its programs' rollback counters kept in {@code counters} instead of in
     * memory (where they are lost, and every rollback-protected blob becomes stale, when the host
     * stops).
     */
    public Host withCounters(RollbackCounters counters) {
        return new Host(keys, name, delegation, clock, Objects.requireNonNull(counters, "counters"), guard, parent);
    }

    /**
     * This host with {@code guard} deciding app seals ({@link CoreTao#SEAL_POLICY_APP_PREFIX}): a
     * program may seal or open the state of app {@code id} only if
     * {@code Authorized(its full name, "AppState", "id")} holds. The guard is asked at every call,
     * so a fact retracted from a guard that changes in place takes effect at the next one. A host
     * without a guard refuses app policies.
     */
    public Host withGuard(Guard guard) {
        return new Host(keys, name, delegation, clock, counters, Objects.requireNonNull(guard, "guard"), parent);
    }

    /**
     * This host with {@code parent} as the Tao it runs on: a group-key request of one of its
     * programs that names a member outside this host goes to {@code parent}, which checks that
     * the asking program's name extends this host's name (the name {@code parent} knows this host
     * by) before it answers. Only for a stacked host whose name the parent gave.
     *
     * @throws IllegalStateException if this host has no delegation (a root host has no parent)
     */
    public Host withParent(CoreTao parent) {
        if (delegation == null) {
            throw new IllegalStateException("a root host has no parent Tao");
        }
        return new Host(keys, name, delegation, clock, counters, guard, Objects.requireNonNull(parent, "parent"));
    }

    /** A root host whose name is its key principal: its attestations need no delegation. */
    public static Host root(Keys keys) {
        return new Host(Objects.requireNonNull(keys, "keys"), keys.principal(), null, Clock.systemUTC());
    }

    /**
     * A root host whose name is its key principal extended by {@code ext}, typically the
     * subprincipal of the guard it enforces: its attestations need no delegation either, since
     * every name it speaks for extends its key's.
     */
    public static Host root(Keys keys, SubPrin ext) {
        Objects.requireNonNull(keys, "keys");
        return new Host(keys, keys.principal().extend(Objects.requireNonNull(ext, "ext")), null, Clock.systemUTC());
    }

    /**
     * A stacked host: its parent said {@code key speaksfor name}, where {@code key} is this host's
     * key principal; {@code name} (the delegator) becomes the host's name.
     *
     * @throws IllegalArgumentException if the delegation does not delegate to this host's key
     */
    public static Host stacked(Keys keys, Attestation delegation) {
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(delegation, "delegation");
        if (!(delegation.statement().message() instanceof Speaksfor sf)
                || !keys.principal().equals(sf.delegate())
                || !(sf.delegator() instanceof Prin delegator)) {
            throw new IllegalArgumentException("the delegation does not say this host's key speaks for a principal");
        }
        if (!delegator.isIdenticalOrExtensionOf(delegation.issuer())) {
            throw new IllegalArgumentException("the delegation's speaker does not speak for the name it delegates");
        }
        return new Host(keys, delegator, delegation, Clock.systemUTC());
    }

    /**
     * This host with its programs' counters in {@code dir}/{@value HostDirectory#COUNTERS},
     * encrypted and authenticated with its keys: for a root host on soft keys. They are NOT
     * rollback-protected (whoever can write {@code dir} can put back an older table); the caller
     * must say so loudly, as the launcher's development-root warning does.
     *
     * @throws TaoException if the table there is malformed or was made with other keys
     */
    public Host withCountersIn(java.nio.file.Path dir) throws java.io.IOException, dev.cloudproxy.tao.TaoException {
        return withCounters(HostCounters.root(new HostDirectory(dir), keys));
    }

    /** The host's own principal name; every hosted program's name extends it. */
    public Prin name() {
        return name;
    }

    /** The delegation from the host's parent, for a stacked host. */
    public Optional<Attestation> delegation() {
        return Optional.ofNullable(delegation);
    }

    /**
     * The host itself says {@code message}, from now for {@code lifetime}: signed by the host's
     * key, with the parent's delegation attached for a stacked host (so the chain reaches the
     * root, a TPM quote on a TPM-rooted host). For statements the host makes on its own account,
     * such as launch records; a program's statements go through {@link #taoFor}, which names the
     * program as the speaker.
     */
    public Attestation say(Form message, Duration lifetime) {
        Objects.requireNonNull(message, "message");
        if (lifetime.isNegative() || lifetime.isZero()) {
            throw new IllegalArgumentException("a statement's lifetime must be positive");
        }
        long now = clock.instant().getEpochSecond();
        Says statement = Says.during(name, now,
                now + lifetime.toSeconds(), message);
        return delegation != null ? Attestation.sign(keys.signer(), statement, delegation)
                : Attestation.sign(keys.signer(), statement);
    }

    /**
     * The host's signing key, for a TLS listener of the host's own that presents the host
     * certificate (the launch service). The key stays the host's: callers must not close it, and
     * never hand it to a program. TLS 1.3 signs under its own context string, so a handshake
     * signature can never pass for an attestation ({@link Attestation#SIGNING_CONTEXT}).
     */
    public Signer tlsSigner() {
        return keys.signer();
    }

    /** The Tao that {@code program} sees. */
    public CoreTao taoFor(HostedProgram program) {
        return new ChildTao(this, Objects.requireNonNull(program, "program"));
    }

    Keys keys() {
        return keys;
    }

    /** The guard that decides app seals, if this host has one. */
    Optional<Guard> guard() {
        return Optional.ofNullable(guard);
    }

    /** The Tao this host runs on, for a stacked host that was given it. */
    Optional<CoreTao> parent() {
        return Optional.ofNullable(parent);
    }

    RollbackCounters counters() {
        return counters;
    }

    Clock clock() {
        return clock;
    }

    SecureRandom random() {
        return random;
    }

    @Override
    public String toString() {
        return "Host[" + name + "]";
    }
}
