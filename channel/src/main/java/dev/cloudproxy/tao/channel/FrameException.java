package dev.cloudproxy.tao.channel;

import java.io.IOException;

/**
 * A message on a Tao channel could not be read: its length prefix was out of range or the stream
 * ended inside it. The channel is no longer in step with its peer and should be closed.
 */
public final class FrameException extends IOException {
    private static final long serialVersionUID = 1L;

    public FrameException(String message) {
        super(message);
    }
}
