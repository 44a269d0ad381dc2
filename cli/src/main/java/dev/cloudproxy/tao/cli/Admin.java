package dev.cloudproxy.tao.cli;

import dev.cloudproxy.tao.host.AdminClient;
import dev.cloudproxy.tao.host.HostDirectory;
import dev.cloudproxy.tao.host.HostException;
import java.io.IOException;
import java.nio.file.Files;

/** Connecting to a host's admin socket, with the errors people see when there is no host. */
final class Admin {
    private Admin() {}

    static AdminClient connect(HostDirectory dir) throws InputException {
        if (!Files.exists(dir.adminSocket())) {
            throw new InputException("no host is running on " + dir.root() + " (no " + HostDirectory.ADMIN_SOCKET
                    + "); start one with 'tao host start'");
        }
        try {
            return AdminClient.connect(dir.adminSocket());
        } catch (HostException e) {
            throw new InputException(e.getMessage());
        } catch (IOException e) {
            throw new InputException("cannot reach the host on " + dir.root() + ": " + e.getMessage()
                    + " (is it running? 'tao host start')");
        }
    }

    static InputException failed(HostDirectory dir, Exception e) {
        if (e instanceof HostException) {
            return new InputException(e.getMessage());
        }
        return new InputException("the host on " + dir.root() + " failed: " + e.getMessage());
    }
}
