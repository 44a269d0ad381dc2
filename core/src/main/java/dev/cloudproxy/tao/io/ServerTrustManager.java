package dev.cloudproxy.tao.io;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Objects;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A trust manager for the client side of one kind of server: every way JSSE asks about a server
 * comes to {@link #checkServer}, and every question about a client is refused, so the subclass
 * states only what a server must present.
 */
public abstract class ServerTrustManager extends X509ExtendedTrustManager {
    private final String clientRefusal;

    /** {@code clientRefusal} is the message every client check fails with. */
    protected ServerTrustManager(String clientRefusal) {
        this.clientRefusal = Objects.requireNonNull(clientRefusal, "clientRefusal");
    }

    /** Accepts {@code chain} (possibly null or empty) from the server, or throws why not. */
    protected abstract void checkServer(X509Certificate[] chain) throws CertificateException;

    @Override
    public final void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        checkServer(chain);
    }

    @Override
    public final void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        checkServer(chain);
    }

    @Override
    public final void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        checkServer(chain);
    }

    @Override
    public final void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException(clientRefusal);
    }

    @Override
    public final void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        throw new CertificateException(clientRefusal);
    }

    @Override
    public final void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        throw new CertificateException(clientRefusal);
    }
}
