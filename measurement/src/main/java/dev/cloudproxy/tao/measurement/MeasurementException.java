package dev.cloudproxy.tao.measurement;

/**
 * A program that cannot be measured: a missing or unreadable file, a malformed or hostile jar, an
 * option that would run code the measurement cannot see. The message says which file or option,
 * and why; it never holds more than a bounded slice of the input.
 */
public final class MeasurementException extends Exception {
    private static final long serialVersionUID = 1L;

    public MeasurementException(String message) {
        super(message);
    }

    public MeasurementException(String message, Throwable cause) {
        super(message, cause);
    }
}
