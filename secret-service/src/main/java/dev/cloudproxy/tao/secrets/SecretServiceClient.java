package dev.cloudproxy.tao.secrets;

import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.channel.PeerPolicy;
import dev.cloudproxy.tao.channel.ProgramCredentials;
import dev.cloudproxy.tao.channel.TaoChannel;
import dev.cloudproxy.tao.channel.TaoChannels;
import dev.cloudproxy.tao.kms.ObjectId;
import dev.cloudproxy.tao.kms.ObjectInfo;
import dev.cloudproxy.tao.kms.ObjectMaterial;
import dev.cloudproxy.tao.kms.ObjectName;
import dev.cloudproxy.tao.kms.ObjectType;
import java.io.Closeable;
import java.io.IOException;
import java.util.Arrays;
import java.util.Objects;
import java.util.Set;

/**
 * A program's connection to the secret service: one Tao channel, one request at a time.
 *
 * <p>The client accepts only the service principal it is given (its channel's peer policy), so a
 * WRITE's content goes to that program and nothing else of the domain. Refusals are
 * {@link SecretRefusedException} with the service's status and reason; a malformed answer is a
 * {@link MalformedMessageException} and the client should be closed. Thread-safe: requests are
 * serialized.
 */
public final class SecretServiceClient implements Closeable {
    private final TaoChannel channel;

    private SecretServiceClient(TaoChannel channel) {
        this.channel = channel;
    }

    /**
     * Channel settings for talking to the service {@code service} with {@code credentials}: only
     * that peer, messages up to {@link SecretProtocol#MAX_MESSAGE_BYTES}. Add a revocation checker
     * before building if the program checks the CRL.
     */
    public static TaoChannels.Builder channels(ProgramCredentials credentials, Prin service) {
        return TaoChannels.builder(credentials).peerPolicy(PeerPolicy.only(Set.of(Objects.requireNonNull(service))))
                .maxMessageBytes(SecretProtocol.MAX_MESSAGE_BYTES);
    }

    /** Dials the service at {@code host:port}, which must be {@code service}. */
    public static SecretServiceClient dial(String host, int port, ProgramCredentials credentials, Prin service)
            throws IOException {
        return dial(channels(credentials, service).build(), host, port);
    }

    /** Dials with channel settings made from {@link #channels}. */
    public static SecretServiceClient dial(TaoChannels channels, String host, int port) throws IOException {
        return new SecretServiceClient(channels.dial(host, port));
    }

    /** The service's verified principal. */
    public Prin service() {
        return channel.peer();
    }

    /** Reads one epoch; the caller closes the material. */
    public ObjectMaterial read(ObjectId id) throws IOException, SecretRefusedException {
        return material(SecretRequest.read(id));
    }

    /** Reads the newest active epoch of {@code name}: how a program learns of a rotation. */
    public ObjectMaterial readNewest(ObjectName name) throws IOException, SecretRefusedException {
        return material(SecretRequest.readNewest(name));
    }

    /** Writes the next epoch of the file {@code name} under {@code protector}; returns what was written. */
    public ObjectInfo write(ObjectName name, ObjectName protector, byte[] content)
            throws IOException, SecretRefusedException {
        return info(SecretRequest.write(name, protector, content));
    }

    /** Creates epoch 1 of a key. */
    public ObjectInfo create(ObjectName name, ObjectType type, ObjectName protector)
            throws IOException, SecretRefusedException {
        return info(SecretRequest.create(name, type, protector));
    }

    /** Erases one epoch's material. */
    public ObjectInfo delete(ObjectId id) throws IOException, SecretRefusedException {
        return info(SecretRequest.delete(id));
    }

    /** Marks one epoch revoked (thought compromised) and erases its material. */
    public ObjectInfo revoke(ObjectId id) throws IOException, SecretRefusedException {
        return info(SecretRequest.revoke(id));
    }

    /** Adds the next epoch of a key. */
    public ObjectInfo rotate(ObjectName name) throws IOException, SecretRefusedException {
        return info(SecretRequest.rotate(name));
    }

    /**
     * Sends any request (for example one {@linkplain SecretRequest#withDirective presenting a
     * directive}) and returns the service's answer, refusals included; the caller closes it.
     */
    public synchronized SecretResponse send(SecretRequest request) throws IOException {
        byte[] bytes = SecretProtocol.encodeRequest(request);
        try {
            channel.send(bytes);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
        byte[] answer = channel.receive();
        try {
            return SecretProtocol.parseResponse(answer);
        } finally {
            Arrays.fill(answer, (byte) 0);
        }
    }

    /** Sends {@code request} (closing it) and returns the answer's material, or throws its refusal. */
    public ObjectMaterial material(SecretRequest request) throws IOException, SecretRefusedException {
        try (request; SecretResponse response = send(request)) {
            checkOk(response);
            byte[] bytes = response.exportSecretMaterial();
            return ObjectMaterial.received(response.info().orElseThrow(), bytes);
        }
    }

    /** Sends {@code request} (closing it) and returns the description of the object touched, or throws. */
    public ObjectInfo info(SecretRequest request) throws IOException, SecretRefusedException {
        try (request; SecretResponse response = send(request)) {
            checkOk(response);
            return response.info().orElseThrow();
        }
    }

    private static void checkOk(SecretResponse response) throws SecretRefusedException {
        if (response.status() != SecretResponse.Status.OK) {
            throw new SecretRefusedException(response.status(), response.reason());
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    @Override
    public String toString() {
        return "SecretServiceClient[" + channel.peer() + "]";
    }
}
