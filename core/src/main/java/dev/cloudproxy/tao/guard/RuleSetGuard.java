package dev.cloudproxy.tao.guard;

import dev.cloudproxy.tao.auth.AuthFormatException;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.io.AtomicFiles;
import dev.cloudproxy.tao.keys.Signer;
import dev.cloudproxy.tao.keys.Verifier;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A guard whose policy is a list of rules that can be kept in a file signed by the policy key.
 *
 * <p><b>File-backed guards.</b> A guard made by {@code load} or {@code create} trusts exactly one
 * policy key. Before every operation it compares the file's size, modification time and file key
 * (inode) with those it last saw, a single {@code stat}; when they differ it reads the file again,
 * checks its signature and replaces its rules. A file that does not verify, does not parse or has
 * gone away never replaces the rules in use: the guard keeps them, logs a warning and reports the
 * failure through {@link #lastReloadFailure()}, and tries again only when the file changes again.
 * Changes made through this object and not {@linkplain #save saved} are lost when the file
 * changes. A file rewritten in place with the same size within one tick of the file system's
 * clock is not noticed; {@link #save} and {@link AtomicFiles} always replace the file (a new
 * inode), which is.
 *
 * <p><b>Policy versions.</b> Every file carries a policy version, signed with its rules
 * ({@link #policyVersion()}; files written before versions existed read as version 0), and
 * {@link #save} writes the next one. A file-backed guard never goes back: a changed file whose
 * version is lower than the one in use is refused like a file that does not verify, so a
 * replayed older rule file, however well signed, does not replace a newer policy.
 */
public abstract sealed class RuleSetGuard implements Guard permits AclGuard, DatalogGuard {
    private static final System.Logger LOG = System.getLogger(RuleSetGuard.class.getName());

    private final byte kind;
    private final String extensionName;
    private final Path file;
    private final Verifier policy;
    private final RuleStore store;
    private Stamp seen;
    private GuardException lastReloadFailure;
    private SubPrin name;
    private long version;

    RuleSetGuard(byte kind, String extensionName, RuleStore store, Path file, Verifier policy) {
        this.kind = kind;
        this.extensionName = extensionName;
        this.store = store;
        this.file = file;
        this.policy = policy;
    }

    /** Reads and verifies the file; the guard's rules become its rules. */
    final void loadNow() throws IOException, GuardException {
        Stamp stamp = Stamp.of(file);
        SignedRuleFile.Contents contents = read();
        store.replaceAll(contents.rules());
        version = contents.version();
        seen = stamp;
    }

    /** Starts with no rules and a file that does not exist yet. */
    final void createNow() throws IOException {
        if (Files.exists(file)) {
            throw new FileAlreadyExistsException(file.toString(), null, "guard file exists; load it instead");
        }
        seen = Stamp.MISSING;
    }

    /** The file this guard reads and saves, if it has one. */
    public final Optional<Path> file() {
        return Optional.ofNullable(file);
    }

    /**
     * The policy version of the rules in use: that of the file last loaded or saved (0 for a
     * guard with no file, a new one, or a file written before versions existed).
     */
    public final synchronized long policyVersion() {
        refresh();
        return version;
    }

    /**
     * Checks that {@code file} is a rule file this guard would load: of its kind, signed by the
     * key it trusts, every rule decoding. Does not compare versions and changes nothing; the
     * caller decides what an older or equal version means to it.
     *
     * @return the file's policy version
     * @throws GuardException if the file is malformed, of another kind or not signed by the key
     * @throws IllegalStateException if this guard has no file and so trusts no key
     */
    public final long verifyFile(byte[] file) throws GuardException {
        Objects.requireNonNull(file, "file");
        if (policy == null) {
            throw new IllegalStateException("a guard with no file trusts no policy key");
        }
        return SignedRuleFile.verifyAndRead(file, kind, policy).version();
    }

    /** The largest rule file any guard reads, in bytes. */
    public static int maxFileSize() {
        return SignedRuleFile.MAX_FILE_SIZE;
    }

    /** Why the last attempt to reload the changed file failed, while the old rules stay in use. */
    public final synchronized Optional<GuardException> lastReloadFailure() {
        refresh();
        return Optional.ofNullable(lastReloadFailure);
    }

    @Override
    public final synchronized SubPrin subprincipal() {
        refresh();
        if (name == null) {
            name = SubPrin.of(PrinExt.of(extensionName, new Bytes(SignedRuleFile.hash(kind, store.rules()))));
        }
        return name;
    }

    @Override
    public final synchronized void authorize(Prin name, String op, List<String> args) throws GuardException {
        Form fact = Guard.authorization(name, op, args);
        refresh();
        changed(store.add(fact));
    }

    @Override
    public final synchronized boolean retract(Prin name, String op, List<String> args) throws GuardException {
        Form fact = Guard.authorization(name, op, args);
        refresh();
        return changed(store.remove(fact));
    }

    @Override
    public final synchronized boolean isAuthorized(Prin name, String op, List<String> args) {
        var fact = Guard.authorization(name, op, args);
        refresh();
        return store.holds(fact);
    }

    @Override
    public final void addRule(String rule) throws GuardException {
        addRule(parse(rule, "rule"));
    }

    @Override
    public final synchronized void addRule(Form rule) throws GuardException {
        Objects.requireNonNull(rule, "rule");
        refresh();
        changed(store.add(rule));
    }

    @Override
    public final boolean retractRule(String rule) throws GuardException {
        return retractRule(parse(rule, "rule"));
    }

    @Override
    public final synchronized boolean retractRule(Form rule) throws GuardException {
        Objects.requireNonNull(rule, "rule");
        refresh();
        return changed(store.remove(rule));
    }

    @Override
    public final synchronized void clear() {
        refresh();
        store.clear();
        changed(true);
    }

    @Override
    public final boolean query(String statement) throws GuardException {
        return query(parse(statement, "query"));
    }

    @Override
    public final synchronized boolean query(Form statement) throws GuardException {
        Objects.requireNonNull(statement, "statement");
        refresh();
        return store.query(statement);
    }

    @Override
    public final synchronized int ruleCount() {
        refresh();
        return store.rules().size();
    }

    @Override
    public final synchronized Form getRule(int index) {
        refresh();
        return store.rules().get(index);
    }

    /**
     * Writes the rules to this guard's file (mode 0600, replaced atomically), signed by
     * {@code policyKey}, which must be the key this guard trusts.
     */
    @Override
    public final synchronized void save(Signer policyKey) throws IOException {
        Objects.requireNonNull(policyKey, "policyKey");
        if (file == null) {
            throw new IllegalStateException("this guard has no file; make it with load or create");
        }
        if (!policyKey.verifier().equals(policy)) {
            throw new IllegalArgumentException("the guard trusts " + policy.principal()
                    + ", not the given key " + policyKey.principal());
        }
        long next = Math.addExact(version, 1);
        AtomicFiles.writeOwnerOnly(file, SignedRuleFile.sign(kind, next, store.rules(), policyKey));
        version = next;
        seen = Stamp.of(file);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + (file == null ? " in memory" : " " + file);
    }

    private boolean changed(boolean changed) {
        if (changed) {
            name = null;
        }
        return changed;
    }

    private SignedRuleFile.Contents read() throws IOException, GuardException {
        byte[] bytes = AtomicFiles.readAtMost(file, SignedRuleFile.MAX_FILE_SIZE + 1);
        return SignedRuleFile.verifyAndRead(bytes, kind, policy);
    }

    private void refresh() {
        if (file == null) {
            return;
        }
        Stamp now;
        try {
            now = Stamp.of(file);
        } catch (IOException e) {
            now = Stamp.MISSING;
        }
        if (now.equals(seen)) {
            return;
        }
        seen = now;
        try {
            SignedRuleFile.Contents contents = read();
            if (contents.version() < version) {
                throw new GuardException("guard file has policy version " + contents.version()
                        + ", older than the version in use (" + version + "): a replayed older policy");
            }
            store.replaceAll(contents.rules());
            version = contents.version();
            name = null;
            lastReloadFailure = null;
            LOG.log(Level.INFO, "reloaded guard rules from {0}", file);
        } catch (GuardException e) {
            reloadFailed(e);
        } catch (IOException e) {
            reloadFailed(new GuardException("guard file cannot be read: " + e, e));
        }
    }

    private void reloadFailed(GuardException e) {
        lastReloadFailure = e;
        LOG.log(Level.WARNING, "keeping the loaded guard rules; {0} changed but was refused: {1}",
                file, e.getMessage());
    }

    private static Form parse(String text, String what) throws GuardException {
        Objects.requireNonNull(text, what);
        try {
            return Form.parse(text);
        } catch (AuthFormatException e) {
            throw new GuardException(what + " does not parse: " + e.getMessage(), e);
        }
    }

    /** What a {@code stat} says about the file; equal stamps mean the file is taken as unchanged. */
    private record Stamp(long size, FileTime modified, Object fileKey) {
        static final Stamp MISSING = new Stamp(-1, FileTime.fromMillis(0), "missing");

        static Stamp of(Path file) throws IOException {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return new Stamp(a.size(), a.lastModifiedTime(), a.fileKey() == null ? "none" : a.fileKey());
        }
    }
}
