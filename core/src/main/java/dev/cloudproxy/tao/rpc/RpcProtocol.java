package dev.cloudproxy.tao.rpc;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.cloudproxy.tao.GroupKeyRefusedException;
import dev.cloudproxy.tao.StaleStateException;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.UnsealException;
import dev.cloudproxy.tao.proto.TaoRpcProtos.TaoRpcError;
import dev.cloudproxy.tao.proto.TaoRpcProtos.TaoRpcRequest;
import dev.cloudproxy.tao.proto.TaoRpcProtos.TaoRpcResponse;
import java.io.IOException;

/**
 * The parts of the host RPC protocol both ends share: operation names, strict message parsing,
 * and the mapping between Java exceptions and error kinds on the wire (docs/host-rpc.md).
 */
public final class RpcProtocol {
    public static final String GET_TAO_NAME = "Tao.GetTaoName";
    public static final String EXTEND_TAO_NAME = "Tao.ExtendTaoName";
    public static final String GET_RANDOM_BYTES = "Tao.GetRandomBytes";
    public static final String GET_SHARED_SECRET = "Tao.GetSharedSecret";
    public static final String GET_GROUP_KEY = "Tao.GetGroupKey";
    public static final String ATTEST = "Tao.Attest";
    public static final String SEAL = "Tao.Seal";
    public static final String UNSEAL = "Tao.Unseal";
    // CloudProxy's names for the same calls.
    public static final String INIT_COUNTER = "Tao.InitCounter";
    public static final String GET_COUNTER = "Tao.GetCounter";
    public static final String ROLLBACK_PROTECTED_SEAL = "Tao.RollbackProtectedSeal";
    public static final String ROLLBACK_PROTECTED_UNSEAL = "Tao.RollbackProtectedUnseal";

    /** Longest error message carried on the wire; longer ones are cut. */
    public static final int MAX_MESSAGE_CHARS = 2000;

    private RpcProtocol() {}

    /**
     * Parses a request frame. Unknown fields are refused rather than ignored, so that a request
     * never means less to the host than it did to the program that sent it.
     */
    public static TaoRpcRequest parseRequest(byte[] frame) throws RpcFrameException {
        TaoRpcRequest r;
        try {
            r = TaoRpcRequest.parseFrom(frame);
        } catch (InvalidProtocolBufferException e) {
            throw new RpcFrameException("malformed request frame");
        }
        if (!r.getUnknownFields().asMap().isEmpty()) {
            throw new RpcFrameException("request frame has unknown fields");
        }
        return r;
    }

    /** Parses a response frame, refusing unknown fields (including unknown error kinds). */
    public static TaoRpcResponse parseResponse(byte[] frame) throws RpcFrameException {
        TaoRpcResponse r;
        try {
            r = TaoRpcResponse.parseFrom(frame);
        } catch (InvalidProtocolBufferException e) {
            throw new RpcFrameException("malformed response frame");
        }
        if (!r.getUnknownFields().asMap().isEmpty()) {
            throw new RpcFrameException("response frame has unknown fields");
        }
        return r;
    }

    /** The response for a {@link StaleStateException}: both counter values travel as fields. */
    public static TaoRpcResponse stale(long seq, StaleStateException e) {
        return error(seq, TaoRpcError.TAO_RPC_STALE, e.getMessage()).toBuilder()
                .setCounter(e.counter()).setExpectedCounter(e.expected()).build();
    }

    /** An error response for {@code seq}. */
    public static TaoRpcResponse error(long seq, TaoRpcError kind, String message) {
        return TaoRpcResponse.newBuilder().setSeq(seq).setError(kind).setMessage(oneLine(message)).build();
    }

    /**
     * The error kind the host sends for a failure: {@link UnsealException} is {@code UNSEAL},
     * {@link StaleStateException} {@code STALE} (sent with {@link #stale}),
     * {@link GroupKeyRefusedException} {@code GROUP_REFUSED},
     * other {@link TaoException}s {@code TAO}, {@link IllegalArgumentException} (misuse)
     * {@code INVALID_ARGUMENT}; anything else is the host's own failure, {@code INTERNAL}.
     */
    public static TaoRpcError kindOf(Throwable t) {
        if (t instanceof UnsealException) {
            return TaoRpcError.TAO_RPC_UNSEAL;
        } else if (t instanceof StaleStateException) {
            return TaoRpcError.TAO_RPC_STALE;
        } else if (t instanceof GroupKeyRefusedException) {
            return TaoRpcError.TAO_RPC_GROUP_REFUSED;
        } else if (t instanceof TaoException) {
            return TaoRpcError.TAO_RPC_TAO;
        } else if (t instanceof IllegalArgumentException) {
            return TaoRpcError.TAO_RPC_INVALID_ARGUMENT;
        }
        return TaoRpcError.TAO_RPC_INTERNAL;
    }

    /**
     * Throws what a response's error means on the program's side: {@link UnsealException} (with
     * its one fixed message), {@link StaleStateException} (with the two counters),
     * {@link GroupKeyRefusedException}, {@link TaoException} for other refusals, {@link IllegalArgumentException}
     * for misuse, and {@link IOException} when the host could not read the request or failed.
     * Returns normally for a successful response.
     */
    public static void throwIfError(TaoRpcResponse r) throws IOException, TaoException {
        if (!r.hasError() || r.getError() == TaoRpcError.TAO_RPC_OK) {
            return;
        }
        String msg = oneLine(r.getMessage());
        switch (r.getError()) {
            case TAO_RPC_UNSEAL -> throw new UnsealException();
            case TAO_RPC_STALE -> {
                if (!r.hasCounter() || !r.hasExpectedCounter()) {
                    throw new RpcFrameException("the Tao host's stale-state answer lacks its counters");
                }
                throw new StaleStateException(r.getCounter(), r.getExpectedCounter());
            }
            case TAO_RPC_GROUP_REFUSED -> throw new GroupKeyRefusedException(msg);
            case TAO_RPC_INVALID_ARGUMENT -> throw new IllegalArgumentException(msg);
            case TAO_RPC_TAO -> throw new TaoException(msg);
            case TAO_RPC_REFUSED -> throw new TaoException("refused by the Tao host: " + msg);
            case TAO_RPC_BAD_REQUEST -> throw new IOException("the Tao host could not read the request: " + msg);
            case TAO_RPC_INTERNAL -> throw new IOException("the Tao host failed: " + msg);
            case TAO_RPC_IDLE -> throw new IOException("the Tao host closed the idle connection: " + msg);
            case TAO_RPC_OK -> { }
        }
    }

    /** {@code s} as one printable line of at most {@link #MAX_MESSAGE_CHARS} characters. */
    public static String oneLine(String s) {
        if (s == null || s.isEmpty()) {
            return "(no message)";
        }
        StringBuilder b = new StringBuilder(Math.min(s.length(), MAX_MESSAGE_CHARS));
        for (int i = 0; i < s.length() && b.length() < MAX_MESSAGE_CHARS; i++) {
            char c = s.charAt(i);
            b.append(Character.isISOControl(c) ? ' ' : c);
        }
        return b.toString();
    }
}
