package dev.cloudproxy.tao.secrets;

import java.io.IOException;

/**
 * A secret-service message that is not in the exact wire form: bad magic or version, an unknown
 * code, a field not allowed for its operation, a length past the end or over its bound, trailing
 * bytes. The message names the first fault and never echoes the bytes.
 */
public class MalformedMessageException extends IOException {
    private static final long serialVersionUID = 1L;

    public MalformedMessageException(String message) {
        super(message);
    }
}
