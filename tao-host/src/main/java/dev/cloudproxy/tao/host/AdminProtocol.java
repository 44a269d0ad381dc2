package dev.cloudproxy.tao.host;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import dev.cloudproxy.tao.proto.TaoAdminProtos.AdminError;
import dev.cloudproxy.tao.proto.TaoAdminProtos.AdminProgram;
import dev.cloudproxy.tao.proto.TaoAdminProtos.AdminRequest;
import dev.cloudproxy.tao.proto.TaoAdminProtos.AdminResponse;
import dev.cloudproxy.tao.proto.TaoAdminProtos.AdminStart;
import dev.cloudproxy.tao.rpc.RpcFrameException;
import dev.cloudproxy.tao.rpc.RpcProtocol;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What both ends of the admin protocol share (core's {@code tao_admin.proto}, docs/host.md):
 * operation names, the frame bound, strict parsing, and the owner check.
 */
public final class AdminProtocol {
    public static final String START = "Admin.Start";
    public static final String STOP = "Admin.Stop";
    public static final String KILL = "Admin.Kill";
    public static final String LIST = "Admin.List";
    public static final String WAIT = "Admin.Wait";
    public static final String SHUTDOWN = "Admin.Shutdown";
    public static final String INPUT = "Admin.Input";

    /** Largest admin frame: a start request with long argument lists, or one relayed chunk. */
    public static final int MAX_FRAME_BYTES = 1 << 20;
    /** Largest piece of a program's output or input in one relay frame. */
    public static final int RELAY_CHUNK = 32 << 10;

    private AdminProtocol() {}

    /**
     * Whether a caller running as {@code peerUid} may administer a host owned by
     * {@code ownerUid}: only the owner and root may.
     */
    public static boolean allows(long peerUid, long ownerUid) {
        return peerUid == ownerUid || peerUid == 0;
    }

    /** The refusal a caller that may not administer the host gets. */
    static String refusal(long peerUid, long ownerUid) {
        return "user " + peerUid + " may not administer this Tao host: only its owner (user " + ownerUid
                + ") or root may";
    }

    public static AdminRequest parseRequest(byte[] frame) throws RpcFrameException {
        try {
            return checked(AdminRequest.parseFrom(frame));
        } catch (InvalidProtocolBufferException e) {
            throw new RpcFrameException("malformed admin request frame");
        }
    }

    public static AdminResponse parseResponse(byte[] frame) throws RpcFrameException {
        try {
            return checked(AdminResponse.parseFrom(frame));
        } catch (InvalidProtocolBufferException e) {
            throw new RpcFrameException("malformed admin response frame");
        }
    }

    private static <M extends com.google.protobuf.GeneratedMessage> M checked(M m) throws RpcFrameException {
        if (hasUnknown(m)) {
            throw new RpcFrameException("admin frame has unknown fields");
        }
        return m;
    }

    private static boolean hasUnknown(com.google.protobuf.Message m) {
        if (!m.getUnknownFields().asMap().isEmpty()) {
            return true;
        }
        for (Object v : m.getAllFields().values()) {
            if (v instanceof com.google.protobuf.Message sub && hasUnknown(sub)) {
                return true;
            }
            if (v instanceof List<?> list) {
                for (Object o : list) {
                    if (o instanceof com.google.protobuf.Message sub && hasUnknown(sub)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    static AdminResponse error(long seq, AdminError kind, String message) {
        return AdminResponse.newBuilder().setSeq(seq).setError(kind).setMessage(RpcProtocol.oneLine(message)).build();
    }

    /** The wire form of a start request. */
    public static AdminStart toWire(ProgramSpec spec, boolean relay) {
        AdminStart.Builder b = AdminStart.newBuilder().setFactory(spec.factory()).setPath(spec.path().toString())
                .addAllArgs(spec.args()).addAllEnv(spec.env()).addAllJvmOptions(spec.jvmOptions()).setRelay(relay);
        spec.directory().ifPresent(d -> b.setDirectory(d.toString()));
        spec.mainClass().ifPresent(b::setMainClass);
        spec.classpath().forEach(p -> b.addClasspath(p.toString()));
        return b.build();
    }

    /**
     * The program a start request describes.
     *
     * @throws IllegalArgumentException if it is incomplete or invalid
     */
    public static ProgramSpec fromWire(AdminStart s) {
        if (!s.hasFactory() || !s.hasPath() || s.getPath().isEmpty()) {
            throw new IllegalArgumentException("a start request needs a factory and a path");
        }
        return new ProgramSpec(s.getFactory(), Path.of(s.getPath()), s.getArgsList(), s.getEnvList(),
                s.hasDirectory() ? Optional.of(Path.of(s.getDirectory())) : Optional.empty(), s.getJvmOptionsList(),
                s.hasMainClass() ? Optional.of(s.getMainClass()) : Optional.empty(),
                s.getClasspathList().stream().map(Path::of).toList());
    }

    static AdminProgram describe(RunningProgram p) {
        AdminProgram.Builder b = AdminProgram.newBuilder().setId(p.id()).setPid(p.pid()).setName(p.name().toString())
                .setFactory(p.spec().factory()).setPath(p.spec().path().toString())
                .setStarted(p.started().getEpochSecond()).setRunning(p.isRunning());
        p.exitStatus().ifPresent(b::setExitStatus);
        return b.build();
    }

    static byte[] bytes(MessageLite m) {
        return m.toByteArray();
    }
}
