package dev.cloudproxy.tao.rpc;

import java.io.IOException;

/**
 * A frame on a host RPC connection could not be read: its length was out of range, it ended
 * early, or it did not hold a well-formed message. The connection it arrived on cannot be trusted
 * to be in step any more and is closed; other connections are unaffected.
 */
public final class RpcFrameException extends IOException {
    private static final long serialVersionUID = 1L;

    public RpcFrameException(String message) {
        super(message);
    }
}
