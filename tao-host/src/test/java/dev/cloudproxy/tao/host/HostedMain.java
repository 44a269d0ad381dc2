package dev.cloudproxy.tao.host;

import com.sun.tools.attach.VirtualMachine;
import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.Unsealed;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;

/**
 * A hosted program for tests, started by a real host: it finds its host with {@link CoreTao#parent()}
 * (from {@code TAO_HOST_SOCKET}), then runs one command per input line and answers each with one
 * line starting "> ": name, api HEX (its name through the app-facing {@code Tao.parent()}, and a
 * blob sealed through it, opened through core's), seal POLICY HEX, unseal HEX, exit STATUS; counter LABEL, rpseal LABEL
 * HEX, rpunseal HEX (rollback protection); and, to probe what it may do
 * on its machine: status (its user, group and privilege lines of /proc/self/status), env NAME,
 * write PATH, create PATH TEXT (a new file), read PATH, delete PATH, open PATH (for reading),
 * connect SOCKET, attach PID (the JDK's attach mechanism), spawn COMMAND... (a child process, as
 * a launcher starts its app: its output on one line and its exit status); each answers what
 * happened, or the exception.
 */
public final class HostedMain {
    private HostedMain() {}

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        HexFormat hex = HexFormat.of();
        CoreTao tao;
        try {
            tao = CoreTao.parent();
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
                    // The app-facing API, as a program that bundles tao-core but runs without the agent sees it.
                    case "api" -> {
                        dev.cloudproxy.tao.Tao api = dev.cloudproxy.tao.Tao.parent();
                        byte[] blob = api.seal(hex.parseHex(cmd[1]), dev.cloudproxy.tao.SealPolicy.SELF);
                        try (Unsealed u = tao.unseal(blob)) {
                            answer(api.getTaoName() + " " + u.policy() + " " + hex.formatHex(u.data()));
                        }
                    }
                    case "seal" -> answer(hex.formatHex(tao.seal(hex.parseHex(cmd[2]), cmd[1])));
                    case "unseal" -> {
                        try (Unsealed u = tao.unseal(hex.parseHex(cmd[1]))) {
                            answer("unsealed " + u.policy().text() + " " + hex.formatHex(u.data()));
                        }
                    }
                    case "counter" -> answer(Long.toString(tao.getCounter(cmd[1])));
                    case "rpseal" -> answer(hex.formatHex(tao.rollbackProtectedSeal(cmd[1], hex.parseHex(cmd[2]),
                            CoreTao.SEAL_POLICY_SELF)));
                    case "rpunseal" -> {
                        try (Unsealed u = tao.rollbackProtectedUnseal(hex.parseHex(cmd[1]))) {
                            answer("unsealed " + u.label().orElseThrow() + " " + u.counter().orElseThrow() + " "
                                    + hex.formatHex(u.data()));
                        }
                    }
                    case "status" -> answer(status());
                    case "env" -> answer(String.valueOf(System.getenv(cmd[1])));
                    case "write" -> {
                        Files.write(Path.of(cmd[1]), new byte[] {'x'}, StandardOpenOption.WRITE);
                        answer("written");
                    }
                    case "create" -> {
                        Files.writeString(Path.of(cmd[1]), cmd[2], StandardOpenOption.CREATE_NEW);
                        answer("created");
                    }
                    case "read" -> answer("read " + Files.readString(Path.of(cmd[1])));
                    case "spawn" -> {
                        Process child = new ProcessBuilder(java.util.Arrays.copyOfRange(cmd, 1, cmd.length))
                                .redirectErrorStream(true).start();
                        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                        answer("spawned " + out.strip().replace('\n', ' ') + " status " + child.waitFor());
                    }
                    case "delete" -> {
                        Files.delete(Path.of(cmd[1]));
                        answer("deleted");
                    }
                    case "open" -> {
                        try (var ch = Files.newByteChannel(Path.of(cmd[1]), StandardOpenOption.READ)) {
                            answer("opened");
                        }
                    }
                    case "attach" -> {
                        VirtualMachine vm = VirtualMachine.attach(cmd[1]);
                        vm.detach();
                        answer("attached");
                    }
                    case "connect" -> {
                        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(cmd[1]))) {
                            answer("connected");
                        }
                    }
                    case "exit" -> {
                        answer("bye");
                        System.exit(Integer.parseInt(cmd[1]));
                    }
                    default -> answer("unknown command");
                }
            } catch (Exception e) {
                answer(e.getClass().getSimpleName() + " " + e.getMessage());
            }
        }
    }

    private static String status() throws Exception {
        StringBuilder b = new StringBuilder();
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.matches("(Uid|Gid|Groups|NoNewPrivs|CapBnd|CapInh|CapEff):.*")) {
                b.append(line.replaceAll("\\s+", " ").strip()).append(';');
            }
        }
        return b.toString();
    }

    private static void answer(String s) {
        System.out.println("> " + s);
        System.out.flush();
    }
}
