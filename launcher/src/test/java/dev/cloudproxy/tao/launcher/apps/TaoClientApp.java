package dev.cloudproxy.tao.launcher.apps;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.TaoConnections;
import dev.cloudproxy.tao.TaoName;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * {@code TaoClientApp PORT}: a plain-socket client (no TLS code) that sends {@code hello} to
 * 127.0.0.1:PORT and prints the answer and the peer's Tao name (if the agent carried it over a Tao
 * channel), then its own Tao name.
 */
public final class TaoClientApp {
    private TaoClientApp() {}

    public static void main(String[] args) throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), Integer.parseInt(args[0]))) {
            s.getOutputStream().write("hello\n".getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().flush();
            String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
            System.out.println("answer: " + line);
            System.out.println("peer: " + TaoConnections.peer(s).map(TaoName::text).orElse("none"));
        } catch (IOException e) {
            System.out.println("failed: " + e);
        }
        System.out.println("name: " + CoreTao.parent().getTaoName());
    }
}
