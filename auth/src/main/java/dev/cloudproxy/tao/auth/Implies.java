package dev.cloudproxy.tao.auth;

import java.util.Objects;

/** {@code A implies B}; right-associative in text: {@code A implies B implies C} is {@code A implies (B implies C)}. */
public record Implies(Form antecedent, Form consequent) implements Form {
    public Implies {
        Objects.requireNonNull(antecedent, "antecedent");
        Objects.requireNonNull(consequent, "consequent");
    }

    @Override
    public String toString() {
        return AuthText.print(this);
    }
}
