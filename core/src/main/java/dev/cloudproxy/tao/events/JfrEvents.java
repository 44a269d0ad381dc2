package dev.cloudproxy.tao.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;

/**
 * The JFR event types behind {@link TaoEvents}; loaded only on a runtime that has JFR. Each
 * event is begun when its kind is taken and committed by {@code end} if the recording wants it.
 */
final class JfrEvents {
    private JfrEvents() {}

    @Name("dev.cloudproxy.tao.HostRpcCall")
    @Label("Tao Host RPC Call")
    @Category({"Tao", "Host"})
    @Description("A Tao RPC request from a hosted program, answered by its host (or the launcher)")
    static final class RpcCallEvent extends Event {
        @Label("Program")
        String program;
        @Label("Method")
        String method;
        @Label("Error")
        @Description("The error kind the call was answered with; empty on success")
        String error;
    }

    @Name("dev.cloudproxy.tao.Certification")
    @Label("Tao Domain Service Decision")
    @Category({"Tao", "Domain Service"})
    @Description("A decision of the domain service, as it is audited")
    static final class CertificationEvent extends Event {
        @Label("Client")
        String peer;
        @Label("Decision")
        String decision;
        @Label("Principal")
        String principal;
        @Label("Serial")
        String serial;
        @Label("Reason")
        String reason;
    }

    @Name("dev.cloudproxy.tao.ChannelHandshake")
    @Label("Tao Channel Handshake")
    @Category({"Tao", "Channel"})
    @Description("A TLS handshake of a Tao channel, with the peer it authenticated or why it failed")
    static final class HandshakeEvent extends Event {
        @Label("Role")
        String role;
        @Label("Remote Address")
        String remote;
        @Label("Peer")
        String peer;
        @Label("Failure")
        String failure;
    }

    static TaoEvents.RpcCall rpcCall() {
        RpcCallEvent e = new RpcCallEvent();
        if (!e.isEnabled()) {
            return TaoEvents.NO_RPC_CALL;
        }
        e.begin();
        return (program, method, error) -> {
            e.end();
            if (e.shouldCommit()) {
                e.program = program.get();
                e.method = method;
                e.error = error == null ? "" : error;
                e.commit();
            }
        };
    }

    static TaoEvents.Certification certification() {
        CertificationEvent e = new CertificationEvent();
        if (!e.isEnabled()) {
            return TaoEvents.NO_CERTIFICATION;
        }
        e.begin();
        return (peer, decision, principal, serial, reason) -> {
            e.end();
            if (e.shouldCommit()) {
                e.peer = peer;
                e.decision = decision;
                e.principal = principal;
                e.serial = serial;
                e.reason = reason;
                e.commit();
            }
        };
    }

    static TaoEvents.Handshake handshake() {
        HandshakeEvent e = new HandshakeEvent();
        if (!e.isEnabled()) {
            return TaoEvents.NO_HANDSHAKE;
        }
        e.begin();
        return (role, remote, peer, failure) -> {
            e.end();
            if (e.shouldCommit()) {
                e.role = role;
                e.remote = remote;
                e.peer = peer;
                e.failure = failure;
                e.commit();
            }
        };
    }
}
