package dev.cloudproxy.tao.auth;

import java.util.Set;

/** Lexical rules for the names that appear in the auth language. */
final class Names {
    /** Words the text form reserves; none can be a principal type. */
    static final Set<String> KEYWORDS = Set.of(
            "from", "until", "says", "speaksfor", "forall", "exists", "implies", "or", "and",
            "not", "false", "true", "ext");

    private Names() {}

    /** An identifier: predicate, extension and variable names, {@code [A-Z][A-Za-z0-9_]*}. */
    static boolean isIdentifier(String s) {
        if (s.isEmpty() || !isUpper(s.charAt(0))) {
            return false;
        }
        for (int i = 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(isUpper(c) || isLower(c) || isDigit(c) || c == '_')) {
                return false;
            }
        }
        return true;
    }

    /**
     * A principal type such as {@code key}, {@code tpm} or {@code tpm2}: {@code [a-z][a-z0-9]*},
     * not a keyword.
     */
    static boolean isPrinType(String s) {
        if (s.isEmpty() || !isLower(s.charAt(0)) || KEYWORDS.contains(s)) {
            return false;
        }
        for (int i = 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(isLower(c) || isDigit(c))) {
                return false;
            }
        }
        return true;
    }

    static String requireIdentifier(String s, String what) {
        if (s == null || !isIdentifier(s)) {
            throw new IllegalArgumentException(
                    what + " must match [A-Z][A-Za-z0-9_]*, got " + Quoting.brief(s));
        }
        return s;
    }

    static boolean isUpper(int c) {
        return c >= 'A' && c <= 'Z';
    }

    static boolean isLower(int c) {
        return c >= 'a' && c <= 'z';
    }

    static boolean isDigit(int c) {
        return c >= '0' && c <= '9';
    }
}
