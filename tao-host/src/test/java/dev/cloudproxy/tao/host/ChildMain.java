package dev.cloudproxy.tao.host;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.Unsealed;
import dev.cloudproxy.tao.rpc.RpcTao;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;

/**
 * A tiny hosted program for tests, run in its own JVM: it waits for "connect" on standard input
 * (so the test can register it first, or deliberately not), connects to the socket named by its
 * argument, then runs one command per input line and answers each with one line starting "> ".
 */
public final class ChildMain {
    private ChildMain() {}

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        HexFormat hex = HexFormat.of();
        if (!"connect".equals(in.readLine())) {
            return;
        }
        CoreTao tao;
        try {
            tao = RpcTao.connect(Path.of(args[0]));
        } catch (TaoException e) {
            answer("refused " + e.getMessage());
            return;
        }
        answer("connected " + tao.getTaoName());
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            String[] cmd = line.split(" ");
            try {
                switch (cmd[0]) {
                    case "name" -> answer(tao.getTaoName().toString());
                    case "seal" -> answer(hex.formatHex(tao.seal(hex.parseHex(cmd[2]), cmd[1])));
                    case "unseal" -> {
                        try (Unsealed u = tao.unseal(hex.parseHex(cmd[1]))) {
                            answer("unsealed " + u.policy().text() + " " + hex.formatHex(u.data()));
                        }
                    }
                    default -> answer("unknown command");
                }
            } catch (Exception e) {
                answer(e.getClass().getSimpleName() + " " + e.getMessage());
            }
        }
    }

    private static void answer(String s) {
        System.out.println("> " + s);
        System.out.flush();
    }
}
