package dev.cloudproxy.tao.launcher.apps;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.SocketChannel;

/**
 * {@code NetApp KIND PORT}: one network operation on 127.0.0.1:PORT, then prints {@code ok} or
 * {@code failed: <exception>}. KIND: {@code socket} (java.net.Socket connect), {@code channel}
 * (non-blocking SocketChannel), {@code http} (HttpClient GET), {@code listen} (ServerSocket bind),
 * {@code udp} (DatagramSocket connect and send).
 */
public final class NetApp {
    private NetApp() {}

    public static void main(String[] args) {
        InetAddress lo = InetAddress.getLoopbackAddress();
        int port = Integer.parseInt(args[1]);
        try {
            switch (args[0]) {
                case "socket" -> {
                    try (Socket s = new Socket(lo, port)) {
                        s.getOutputStream().write('x');
                    }
                }
                case "channel" -> {
                    try (SocketChannel ch = SocketChannel.open()) {
                        ch.configureBlocking(false);
                        if (!ch.connect(new InetSocketAddress(lo, port))) {
                            ch.configureBlocking(true);
                            ch.finishConnect();
                        }
                    }
                }
                case "http" -> HttpClient.newHttpClient().send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).build(),
                        HttpResponse.BodyHandlers.discarding());
                case "listen" -> {
                    try (ServerSocket s = new ServerSocket()) {
                        s.bind(new InetSocketAddress(lo, port));
                    }
                }
                case "udp" -> {
                    try (DatagramSocket d = new DatagramSocket()) {
                        d.connect(lo, port);
                        d.send(new java.net.DatagramPacket(new byte[] {1}, 1));
                    }
                }
                default -> throw new IllegalArgumentException(args[0]);
            }
            System.out.println("ok");
        } catch (IOException | InterruptedException e) {
            System.out.println("failed: " + e);
        }
    }
}
