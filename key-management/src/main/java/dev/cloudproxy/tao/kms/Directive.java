package dev.cloudproxy.tao.kms;

import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Int;
import dev.cloudproxy.tao.auth.Pred;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.Says;
import dev.cloudproxy.tao.auth.Str;
import dev.cloudproxy.tao.auth.Term;
import java.util.List;
import java.util.Objects;

/**
 * A disclosure directive's statement, in the auth language:
 *
 * <pre>
 *   policy-key from T1 until T2 says CanRead(P, "/zone/key/customer-folder-key", 3)
 * </pre>
 *
 * <p>(or {@code CanWrite}, {@code CanCreate}, {@code CanDelete}, {@code Own}): the domain's policy
 * key allows principal {@code P} the verb on one epoch of one object, between two Unix times
 * (inclusive). A value, not a proof: only {@link DirectiveVerifier} says whether a signed one
 * counts. {@link #fromStatement} accepts exactly this shape and nothing else.
 */
public record Directive(Prin issuer, Verb verb, Prin principal, ObjectId object, long notBefore, long notAfter) {
    public Directive {
        Objects.requireNonNull(issuer, "issuer");
        Objects.requireNonNull(verb, "verb");
        Objects.requireNonNull(principal, "principal");
        Objects.requireNonNull(object, "object");
        if (object.name().isRoot()) {
            throw new IllegalArgumentException("the master key is never disclosed");
        }
        if (notAfter < notBefore) {
            throw new IllegalArgumentException("validity window ends before it starts");
        }
    }

    /** The signed statement. */
    public Says statement() {
        return Says.during(issuer, notBefore, notAfter, Pred.of(verb.predicate(), principal,
                new Str(object.name().value()), new Int(object.epoch())));
    }

    /**
     * Reads a statement of exactly the directive shape.
     *
     * @throws DirectiveRefusedException for any other formula
     */
    public static Directive fromStatement(Form form) throws DirectiveRefusedException {
        if (!(form instanceof Says says) || !(says.speaker() instanceof Prin issuer)
                || says.from().isEmpty() || says.until().isEmpty() || !(says.message() instanceof Pred pred)) {
            throw new DirectiveRefusedException(
                    "not a directive: expected 'key from T until T says Verb(P, name, epoch)'");
        }
        Verb verb = Verb.fromPredicate(pred.name())
                .orElseThrow(() -> new DirectiveRefusedException("not a directive predicate"));
        List<Term> args = pred.args();
        if (args.size() != 3 || !(args.get(0) instanceof Prin principal) || !(args.get(1) instanceof Str name)
                || !(args.get(2) instanceof Int epoch)) {
            throw new DirectiveRefusedException("directive arguments must be (principal, \"name\", epoch)");
        }
        try {
            if (epoch.value() < 1 || epoch.value() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("epoch out of range");
            }
            ObjectId object = new ObjectId(ObjectName.of(name.value()), (int) epoch.value());
            return new Directive(issuer, verb, principal, object, says.from().getAsLong(), says.until().getAsLong());
        } catch (IllegalArgumentException e) {
            throw new DirectiveRefusedException("directive is malformed: " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return statement().toString();
    }
}
