package dev.cloudproxy.tao.domain;

import dev.cloudproxy.tao.auth.AuthFormatException;
import dev.cloudproxy.tao.auth.AuthText;
import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinTail;
import dev.cloudproxy.tao.auth.Term;
import dev.cloudproxy.tao.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What a new domain is made from, as in CloudProxy's {@code domain_template}: the domain's name,
 * the X.509 details of its policy certificate, its guard type, and its initial policy (rules, and
 * programs and hosts to trust, turned into {@link PolicyFacts} in the order written).
 *
 * <p>The text form is described in {@code docs/domains.md}; a template holds nothing secret.
 *
 * @param name the domain name, also the policy certificate's common name
 * @param x509 the rest of the certificate's subject
 * @param validityDays how long the policy certificate is valid, from now
 * @param guardType the guard the domain uses
 * @param policy the rules and facts of the initial policy, in order; empty for fixed guards
 */
public record DomainTemplate(String name, X509Details x509, int validityDays, GuardType guardType, List<Form> policy) {
    /** Largest template file read. */
    public static final int MAX_FILE_BYTES = 1024 * 1024;
    /** Default lifetime of a policy certificate: ten years. */
    public static final int DEFAULT_VALIDITY_DAYS = 3650;
    /** Longest lifetime accepted: a hundred years. */
    public static final int MAX_VALIDITY_DAYS = 36_500;
    /** Longest domain name: the limit X.509 puts on a common name. */
    public static final int MAX_NAME_CHARS = 64;

    /**
     * The subject of the policy certificate besides its common name; empty strings are left out.
     *
     * @param country two upper-case letters (ISO 3166), or empty
     */
    public record X509Details(String country, String state, String locality, String organization,
            String organizationalUnit) {
        /** No details: the subject is the common name only. */
        public static final X509Details NONE = new X509Details("", "", "", "", "");

        public X509Details {
            Objects.requireNonNull(country, "country");
            Objects.requireNonNull(state, "state");
            Objects.requireNonNull(locality, "locality");
            Objects.requireNonNull(organization, "organization");
            Objects.requireNonNull(organizationalUnit, "organizationalUnit");
            if (!country.isEmpty() && !country.matches("[A-Z]{2}")) {
                throw new IllegalArgumentException("country must be two upper-case letters");
            }
            for (String s : List.of(state, locality, organization, organizationalUnit)) {
                if (s.length() > 128) {
                    throw new IllegalArgumentException("an X.509 name part is longer than 128 characters");
                }
            }
        }
    }

    public DomainTemplate {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(x509, "x509");
        Objects.requireNonNull(guardType, "guardType");
        policy = List.copyOf(policy);
        if (name.isBlank() || name.length() > MAX_NAME_CHARS || !name.equals(name.strip())
                || name.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("a domain name is 1 to " + MAX_NAME_CHARS
                    + " characters without control characters or surrounding spaces");
        }
        if (validityDays < 1 || validityDays > MAX_VALIDITY_DAYS) {
            throw new IllegalArgumentException("validity must be 1 to " + MAX_VALIDITY_DAYS + " days");
        }
        if (!guardType.hasRules() && !policy.isEmpty()) {
            throw new IllegalArgumentException("a " + guardType.text()
                    + " guard has a fixed policy; it cannot hold rules, programs or hosts");
        }
    }

    /** Reads a template file (at most {@value #MAX_FILE_BYTES} bytes). */
    public static DomainTemplate read(Path file) throws IOException, DomainException {
        byte[] bytes = AtomicFiles.readAtMost(file, MAX_FILE_BYTES + 1);
        if (bytes.length > MAX_FILE_BYTES) {
            throw new DomainException("template " + file + " is larger than " + MAX_FILE_BYTES + " bytes");
        }
        return parse(bytes, "template " + file);
    }

    /** Parses a template; {@code what} names it in errors. */
    public static DomainTemplate parse(byte[] text, String what) throws DomainException {
        if (text.length > MAX_FILE_BYTES) {
            throw new DomainException(what + " is larger than " + MAX_FILE_BYTES + " bytes");
        }
        String name = null;
        String guard = null;
        int guardLine = 0;
        int validity = DEFAULT_VALIDITY_DAYS;
        String[] x509 = {"", "", "", "", ""};
        List<String> x509Keys = List.of("x509.country", "x509.state", "x509.locality",
                "x509.organization", "x509.organizational_unit");
        Set<String> seen = new HashSet<>();
        List<Form> policy = new java.util.ArrayList<>();
        for (KeyValueText.Entry e : KeyValueText.parse(text, what)) {
            String where = what + " line " + e.line();
            boolean repeatable = switch (e.key()) {
                case "rule", "host", "program", "linux_host", "trusted_guard", "can_execute" -> true;
                default -> false;
            };
            if (!repeatable && !seen.add(e.key())) {
                throw new DomainException(where + ": " + e.key() + " given twice");
            }
            try {
                switch (e.key()) {
                    case "name" -> name = e.value();
                    case "guard" -> {
                        guard = e.value();
                        guardLine = e.line();
                    }
                    case "validity_days" -> validity = parseDays(e.value());
                    case "rule" -> policy.add(Form.parse(e.value()));
                    case "host" -> policy.add(PolicyFacts.trustedHost(Prin.parse(e.value())));
                    case "program" -> policy.add(PolicyFacts.trustedProgram(PolicyFacts.parseHash(e.value())));
                    case "linux_host" -> policy.add(PolicyFacts.trustedLinuxHost(PolicyFacts.parseHash(e.value())));
                    case "trusted_guard" -> policy.add(PolicyFacts.trustedGuard(parseTail(e.value())));
                    case "can_execute" -> policy.add(PolicyFacts.canExecute(Prin.parse(e.value())));
                    default -> {
                        int i = x509Keys.indexOf(e.key());
                        if (i < 0) {
                            throw new DomainException(where + ": unknown key " + e.key());
                        }
                        x509[i] = e.value();
                    }
                }
            } catch (AuthFormatException | IllegalArgumentException ex) {
                throw new DomainException(where + ": " + e.key() + ": " + ex.getMessage(), ex);
            }
        }
        if (name == null) {
            throw new DomainException(what + ": no name");
        }
        if (guard == null) {
            throw new DomainException(what + ": no guard");
        }
        GuardType type = GuardType.parse(guard, what + " line " + guardLine);
        try {
            return new DomainTemplate(name, new X509Details(x509[0], x509[1], x509[2], x509[3], x509[4]),
                    validity, type, policy);
        } catch (IllegalArgumentException e) {
            throw new DomainException(what + ": " + e.getMessage(), e);
        }
    }

    private static int parseDays(String text) {
        if (!text.matches("[0-9]{1,6}")) {
            throw new IllegalArgumentException("not a number of days");
        }
        return Integer.parseInt(text);
    }

    /** A principal tail such as {@code ext.DatalogGuard([..])}. */
    static PrinTail parseTail(String text) throws AuthFormatException {
        Term t = AuthText.parseTerm(text);
        if (t instanceof PrinTail tail) {
            return tail;
        }
        throw new IllegalArgumentException("expected a principal tail such as ext.DatalogGuard([..])");
    }
}
