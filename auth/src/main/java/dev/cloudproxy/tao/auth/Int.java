package dev.cloudproxy.tao.auth;

/** A 64-bit signed integer term. */
public record Int(long value) implements Term {
    @Override
    public String toString() {
        return AuthText.print(this);
    }
}
