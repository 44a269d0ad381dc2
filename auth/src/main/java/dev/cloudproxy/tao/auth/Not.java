package dev.cloudproxy.tao.auth;

import java.util.Objects;

/** {@code not F}. */
public record Not(Form negand) implements Form {
    public Not {
        Objects.requireNonNull(negand, "negand");
    }

    @Override
    public String toString() {
        return AuthText.print(this);
    }
}
