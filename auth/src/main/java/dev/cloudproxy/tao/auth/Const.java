package dev.cloudproxy.tao.auth;

/** {@code true} or {@code false}. */
public record Const(boolean value) implements Form {
    public static final Const TRUE = new Const(true);
    public static final Const FALSE = new Const(false);

    @Override
    public String toString() {
        return AuthText.print(this);
    }
}
