package dev.cloudproxy.tao.samples.plain;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * {@code EchoClient host port message...}: sends each message as a line and prints each answer.
 * Exits 1 with one line on standard error if the connection fails. No Tao code.
 */
public final class EchoClient {
    private EchoClient() {}

    public static void main(String[] args) {
        try (Socket s = new Socket(args[0], Integer.parseInt(args[1]));
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                PrintWriter out = new PrintWriter(s.getOutputStream(), true, StandardCharsets.UTF_8)) {
            s.setTcpNoDelay(true);
            for (int i = 2; i < args.length; i++) {
                out.println(args[i]);
                System.out.println(in.readLine());
            }
        } catch (IOException e) {
            System.err.println("EchoClient: " + e);
            System.exit(1);
        }
    }
}
