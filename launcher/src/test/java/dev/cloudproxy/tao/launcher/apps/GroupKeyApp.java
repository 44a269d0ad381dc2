package dev.cloudproxy.tao.launcher.apps;

import dev.cloudproxy.tao.GroupKeyRefusedException;
import dev.cloudproxy.tao.Tao;
import dev.cloudproxy.tao.TaoName;
import java.util.HexFormat;
import java.util.List;

/**
 * Asks its Tao (through the app API, so through the agent's bridge) for the 32-byte group key of
 * itself and the principal whose binary encoding is hex in args[0]; prints {@code name: <its name>}
 * and {@code key: <hex>}, or {@code refused: <why>} and exits with 3.
 */
public final class GroupKeyApp {
    private GroupKeyApp() {}

    public static void main(String[] args) throws Exception {
        Tao tao = Tao.parent();
        TaoName me = tao.getTaoName();
        TaoName peer = TaoName.of("peer", HexFormat.of().parseHex(args[0]));
        System.out.println("name: " + me.text());
        try {
            System.out.println("key: " + HexFormat.of().formatHex(tao.getGroupKey(List.of(peer, me), 32)));
        } catch (GroupKeyRefusedException e) {
            System.out.println("refused: " + e.getMessage());
            System.exit(3);
        }
    }
}
