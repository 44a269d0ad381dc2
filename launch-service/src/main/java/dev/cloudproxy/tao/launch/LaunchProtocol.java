package dev.cloudproxy.tao.launch;

import dev.cloudproxy.tao.auth.AuthBinary;
import dev.cloudproxy.tao.auth.AuthFormatException;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Pred;
import dev.cloudproxy.tao.auth.Str;
import dev.cloudproxy.tao.auth.Term;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The launch service's wire format, over TLS: one request, one response, each a frame of a 4-byte
 * big-endian length and an auth-language predicate in its binary form (so the one bounded decoder
 * reads it):
 *
 * <pre>
 * request:  LaunchRequest("name", [nonce], "arg"...)                 at most {@value #MAX_REQUEST_BYTES} bytes
 * response: LaunchResult([output], [record], [host certificate DER]) at most {@value #MAX_RESPONSE_BYTES} bytes
 *           LaunchRefused("reason")
 * </pre>
 *
 * A frame over its bound, a truncated frame or one that is not such a predicate is a
 * {@link ProtocolException}.
 */
final class LaunchProtocol {
    static final int MAX_REQUEST_BYTES = 64 * 1024;
    static final int MAX_RESPONSE_BYTES = 4 << 20;

    private LaunchProtocol() {}

    /** A frame or message that breaks the format. */
    static final class ProtocolException extends IOException {
        private static final long serialVersionUID = 1L;

        ProtocolException(String message) {
            super(message);
        }
    }

    record Request(String name, byte[] nonce, List<String> args) {}

    /** Either a result ({@code refusal} null) or a refusal. */
    record Response(byte[] output, byte[] record, byte[] hostCertificate, String refusal) {
        static Response refused(String why) {
            return new Response(new byte[0], new byte[0], new byte[0], why);
        }
    }

    static byte[] encode(Request r) {
        List<Term> terms = new ArrayList<>(List.of(new Str(r.name()), new Bytes(r.nonce())));
        r.args().forEach(a -> terms.add(new Str(a)));
        return AuthBinary.encode(new Pred("LaunchRequest", terms));
    }

    static Request decodeRequest(byte[] frame) throws ProtocolException {
        Pred p = pred(frame, "LaunchRequest");
        List<Term> a = p.args();
        if (a.size() < 2 || !(a.get(0) instanceof Str name) || !(a.get(1) instanceof Bytes nonce)) {
            throw new ProtocolException("a launch request is LaunchRequest(name, [nonce], args...)");
        }
        List<String> args = new ArrayList<>();
        for (Term t : a.subList(2, a.size())) {
            if (!(t instanceof Str s)) {
                throw new ProtocolException("a launch request's arguments are strings");
            }
            args.add(s.value());
        }
        return new Request(name.value(), nonce.value(), args);
    }

    static byte[] encode(Response r) {
        Pred p = r.refusal() != null ? Pred.of("LaunchRefused", new Str(r.refusal()))
                : Pred.of("LaunchResult", new Bytes(r.output()), new Bytes(r.record()), new Bytes(r.hostCertificate()));
        return AuthBinary.encode(p);
    }

    static Response decodeResponse(byte[] frame) throws ProtocolException {
        Form f = form(frame);
        if (f instanceof Pred p && p.name().equals("LaunchRefused") && p.args().size() == 1
                && p.args().get(0) instanceof Str why) {
            return Response.refused(why.value());
        }
        if (f instanceof Pred p && p.name().equals("LaunchResult") && p.args().size() == 3
                && p.args().get(0) instanceof Bytes out && p.args().get(1) instanceof Bytes rec
                && p.args().get(2) instanceof Bytes cert) {
            return new Response(out.value(), rec.value(), cert.value(), null);
        }
        throw new ProtocolException("not a launch response");
    }

    private static Pred pred(byte[] frame, String name) throws ProtocolException {
        if (form(frame) instanceof Pred p && p.name().equals(name)) {
            return p;
        }
        throw new ProtocolException("expected " + name);
    }

    private static Form form(byte[] frame) throws ProtocolException {
        try {
            return AuthBinary.decodeForm(frame);
        } catch (AuthFormatException e) {
            throw new ProtocolException("malformed message: " + e.getMessage());
        }
    }

    static void write(OutputStream out, byte[] frame) throws IOException {
        DataOutputStream d = new DataOutputStream(out);
        d.writeInt(frame.length);
        d.write(frame);
        d.flush();
    }

    /** One frame of at most {@code max} bytes. */
    static byte[] read(InputStream in, int max) throws IOException {
        DataInputStream d = new DataInputStream(in);
        int n;
        try {
            n = d.readInt();
        } catch (EOFException e) {
            throw new ProtocolException("the peer closed the connection before a frame");
        }
        if (n < 0 || n > max) {
            throw new ProtocolException("a frame of " + Integer.toUnsignedString(n) + " bytes is over the bound of "
                    + max);
        }
        byte[] frame = in.readNBytes(n);
        if (frame.length != n) {
            throw new ProtocolException("the frame was cut short");
        }
        return frame;
    }
}
