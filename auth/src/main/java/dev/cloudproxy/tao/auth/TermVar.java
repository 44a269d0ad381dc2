package dev.cloudproxy.tao.auth;

/** A variable, bound by {@code forall} or {@code exists} in guard rules: {@code P}, {@code Host}. */
public record TermVar(String name) implements Term {
    public TermVar {
        Names.requireIdentifier(name, "variable name");
    }

    @Override
    public String toString() {
        return AuthText.print(this);
    }
}
