package dev.cloudproxy.tao.events;

import java.util.function.Supplier;

/**
 * JDK Flight Recorder events of the Tao's processes: the domain service's decisions, host RPC
 * calls (in hosts and in the launcher, which serves its app), and Tao channel handshakes (in
 * {@code TaoChannel} and in the agent's relays). Record them with
 * {@code -XX:StartFlightRecording} or {@code jcmd PID JFR.start}; they are named
 * {@code dev.cloudproxy.tao.*} and disabled events cost one allocation and a check.
 *
 * <p>Each kind is timed: take it before the work ({@link #rpcCall()}, ...) and {@code end} it
 * with what happened. On a runtime without the {@code jdk.jfr} module (a jlink image may leave it
 * out) every kind is a no-op, and no JFR class is ever loaded. Nothing secret goes into an
 * event: principals, methods, outcomes and reasons are public, as in the audit log.
 */
public final class TaoEvents {
    /** Whether this runtime has JFR. The JFR classes are touched only when it does. */
    static final boolean JFR = ModuleLayer.boot().findModule("jdk.jfr").isPresent();

    private TaoEvents() {}

    /** One host RPC call (host or launcher). */
    public interface RpcCall {
        /**
         * Records the call of {@code method} by {@code program} (asked only if the event is
         * recorded); {@code error} is null on success.
         */
        void end(Supplier<String> program, String method, String error);
    }

    /** One decision of the domain service. */
    public interface Certification {
        /**
         * Records a decision for the client {@code peer}: {@code decision} as audited (issued,
         * refused, ...), the principal asked for and the serial issued or the reason refused
         * (each null where it does not apply).
         */
        void end(String peer, String decision, String principal, String serial, String reason);
    }

    /** One TLS handshake of a Tao channel, client or server side. */
    public interface Handshake {
        /**
         * Records a handshake with {@code remote} (host:port) in {@code role} ("client" or
         * "server"): the peer's principal if the handshake authenticated one (null for the domain
         * service's anonymous clients), and on failure why ({@code failure}, else null).
         */
        void end(String role, String remote, String peer, String failure);
    }

    static final RpcCall NO_RPC_CALL = (program, method, error) -> { };
    static final Certification NO_CERTIFICATION = (peer, decision, principal, serial, reason) -> { };
    static final Handshake NO_HANDSHAKE = (role, remote, peer, failure) -> { };

    /** Starts timing a host RPC call. */
    public static RpcCall rpcCall() {
        return JFR ? JfrEvents.rpcCall() : NO_RPC_CALL;
    }

    /** Starts timing a domain service decision. */
    public static Certification certification() {
        return JFR ? JfrEvents.certification() : NO_CERTIFICATION;
    }

    /** Starts timing a channel handshake. */
    public static Handshake handshake() {
        return JFR ? JfrEvents.handshake() : NO_HANDSHAKE;
    }
}
