package dev.cloudproxy.tao.launcher.apps;

import dev.cloudproxy.tao.TaoSealed;
import java.util.List;

/** {@code BadSealedApp KIND}: touches a class whose sealed field cannot be supported. */
public final class BadSealedApp {
    private BadSealedApp() {}

    static final class Instance {
        @TaoSealed
        int perObject;
    }

    static final class Final {
        @TaoSealed
        static final int CONSTANT = 1;
    }

    static final class WrongType {
        @TaoSealed
        static List<String> list;
    }

    public static void main(String[] args) {
        Object o = switch (args[0]) {
            case "instance" -> new Instance();
            case "final" -> Final.CONSTANT + 0 == 1 ? new Final() : null;
            case "type" -> WrongType.list;
            default -> null;
        };
        System.out.println("loaded " + o);
    }
}
