package dev.cloudproxy.tao.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.UnsealException;
import dev.cloudproxy.tao.proto.TaoRpcProtos.TaoRpcError;
import dev.cloudproxy.tao.proto.TaoRpcProtos.TaoRpcRequest;
import dev.cloudproxy.tao.proto.TaoRpcProtos.TaoRpcResponse;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RpcProtocolTest {
    private static Throwable roundTrip(Throwable thrown) {
        TaoRpcResponse r = RpcProtocol.error(5, RpcProtocol.kindOf(thrown), thrown.getMessage());
        try {
            RpcProtocol.throwIfError(RpcProtocol.parseResponse(r.toByteArray()));
        } catch (Exception e) {
            return e;
        }
        throw new AssertionError("no exception for " + thrown);
    }

    @Test
    void errors_mapBackToTheSameJavaTypes() {
        Throwable unseal = roundTrip(new UnsealException());
        assertThat(unseal).isExactlyInstanceOf(UnsealException.class).hasMessage("unseal failed");
        assertThat(roundTrip(new IllegalArgumentException("bad policy")))
                .isExactlyInstanceOf(IllegalArgumentException.class).hasMessage("bad policy");
        assertThat(roundTrip(new TaoException("cannot attest as X")))
                .isExactlyInstanceOf(TaoException.class).hasMessage("cannot attest as X");
        assertThat(roundTrip(new IllegalStateException("bug"))).isInstanceOf(IOException.class)
                .hasMessageContaining("bug");
    }

    @Test
    void refusedAndBadRequest_mapToTaoExceptionAndIOException() {
        assertThrows(TaoException.class, () -> RpcProtocol.throwIfError(
                RpcProtocol.error(0, TaoRpcError.TAO_RPC_REFUSED, "not a hosted program")));
        assertThrows(IOException.class, () -> RpcProtocol.throwIfError(
                RpcProtocol.error(1, TaoRpcError.TAO_RPC_BAD_REQUEST, "unknown operation")));
    }

    @Test
    void success_throwsNothing() throws Exception {
        RpcProtocol.throwIfError(TaoRpcResponse.newBuilder().setSeq(1).build());
        RpcProtocol.throwIfError(TaoRpcResponse.newBuilder().setSeq(1).setError(TaoRpcError.TAO_RPC_OK).build());
    }

    @Test
    void messages_areOneBoundedLine() {
        assertThat(RpcProtocol.oneLine("a\nb\rc\u0000d")).isEqualTo("a b c d");
        assertThat(RpcProtocol.oneLine("x".repeat(10_000))).hasSize(RpcProtocol.MAX_MESSAGE_CHARS);
        assertThat(RpcProtocol.oneLine(null)).isEqualTo("(no message)");
    }

    @Test
    void unknownFieldsOrGarbage_areFrameErrors() {
        byte[] extra = TaoRpcRequest.newBuilder().setOp(RpcProtocol.SEAL).setSeq(1).build().toByteArray();
        byte[] withUnknown = new byte[extra.length + 2];
        System.arraycopy(extra, 0, withUnknown, 0, extra.length);
        withUnknown[extra.length] = (byte) (15 << 3); // field 15, varint
        withUnknown[extra.length + 1] = 1;
        assertThrows(RpcFrameException.class, () -> RpcProtocol.parseRequest(withUnknown));
        assertThrows(RpcFrameException.class, () -> RpcProtocol.parseRequest(new byte[] {(byte) 0xff, (byte) 0xff}));
        byte[] unknownKind = {8, 1, 16, 99}; // seq 1, error 99
        assertThrows(RpcFrameException.class, () -> RpcProtocol.parseResponse(unknownKind));
    }

    @Test
    void parent_withoutTheVariable_namesIt() {
        TaoException e = assertThrows(TaoException.class, () -> RpcTao.parent(Map.of()));
        assertThat(e.getMessage()).contains(RpcTao.SOCKET_ENV);
    }
}
