package dev.cloudproxy.tao.agent.tooling;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** Another process trying to use the relay: prints what it gets back, or {@code closed}. */
public final class RelayProbe {
    private RelayProbe() {}

    public static void main(String[] args) throws Exception {
        try (Socket s = new Socket(args[0], Integer.parseInt(args[1]))) {
            s.getOutputStream().write("hi\n".getBytes(StandardCharsets.UTF_8));
            String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
            System.out.println(line == null ? "closed" : "got " + line);
        }
    }
}
