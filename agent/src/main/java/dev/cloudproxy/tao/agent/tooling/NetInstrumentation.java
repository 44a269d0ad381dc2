package dev.cloudproxy.tao.agent.tooling;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.none;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import dev.cloudproxy.tao.agent.bootstrap.NetHooks;
import dev.cloudproxy.tao.agent.rules.ChannelRules;
import java.io.IOException;
import java.lang.instrument.Instrumentation;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.utility.JavaModule;

/**
 * Puts advice into {@code sun.nio.ch.Net.connect} and {@code Net.bind} (the four-argument forms,
 * which every other form and every JDK socket API calls) and into {@code DatagramChannelImpl}'s
 * connect and bind (to let UDP through). Fails if either class was not transformed: an agent that
 * believed it enforced rules it does not would be worse than none.
 */
final class NetInstrumentation {
    static final String NET = "sun.nio.ch.Net";
    static final String DATAGRAM = "sun.nio.ch.DatagramChannelImpl";

    private NetInstrumentation() {}

    static void install(Instrumentation inst, ChannelRules rules, TaoChannels channels) throws IOException {
        install(inst, new NetPolicy(rules, channels));
    }

    static void install(Instrumentation inst, NetHooks.Handler handler) throws IOException {
        // Advice inlined into java.base calls NetHooks, which lives in the boot loader's unnamed
        // module; a named module reads it only when told to.
        Module javaBase = Object.class.getModule();
        Module hooks = NetHooks.class.getModule();
        if (!javaBase.canRead(hooks)) {
            inst.redefineModule(javaBase, Set.of(hooks), Map.of(), Map.of(), Set.of(), Map.of());
        }
        NetHooks.install(handler);

        Set<String> transformed = ConcurrentHashMap.newKeySet();
        List<String> errors = new ArrayList<>();
        AgentBuilder.Listener listener = new AgentBuilder.Listener.Adapter() {
            @Override
            public void onTransformation(TypeDescription type, ClassLoader loader, JavaModule module, boolean loaded,
                    DynamicType dynamicType) {
                transformed.add(type.getName());
            }

            @Override
            public void onError(String typeName, ClassLoader loader, JavaModule module, boolean loaded, Throwable t) {
                synchronized (errors) {
                    errors.add(typeName + ": " + t);
                }
            }
        };
        ClassLoader ours = NetInstrumentation.class.getClassLoader();
        new AgentBuilder.Default()
                .disableClassFormatChanges()
                .with(AgentBuilder.RedefinitionStrategy.RETRANSFORMATION)
                .with(AgentBuilder.InitializationStrategy.NoOp.INSTANCE)
                .with(AgentBuilder.TypeStrategy.Default.REDEFINE)
                .with(listener)
                .ignore(none())
                .type(named(NET))
                .transform(new AgentBuilder.Transformer.ForAdvice()
                        .include(ours)
                        .advice(named("connect").and(takesArguments(4)).and(takesArgument(0, ProtocolFamily.class)),
                                ConnectAdvice.class.getName())
                        .advice(named("bind").and(takesArguments(4)).and(takesArgument(0, ProtocolFamily.class)),
                                BindAdvice.class.getName()))
                .type(named(DATAGRAM))
                .transform(new AgentBuilder.Transformer.ForAdvice()
                        .include(ours)
                        .advice(named("connect").and(takesArguments(2)).or(named("bind").and(takesArguments(1))),
                                DatagramAdvice.class.getName()))
                .installOn(inst);
        // Make sure both are loaded (so transformed now, not maybe later), then check.
        try {
            Class.forName(NET, true, null);
            Class.forName(DATAGRAM, true, null);
        } catch (ClassNotFoundException e) {
            throw new IOException("this JDK has no " + e.getMessage() + "; the network hooks cannot be installed");
        }
        synchronized (errors) {
            if (!errors.isEmpty()) {
                throw new IOException("installing the network hooks failed: " + errors.get(0));
            }
        }
        if (!transformed.contains(NET) || !transformed.contains(DATAGRAM)) {
            throw new IOException("the network hooks were not installed into " + NET + " and " + DATAGRAM);
        }
    }

    /** Inlined at the start of {@code Net.connect(ProtocolFamily, FileDescriptor, InetAddress, int)}. */
    static final class ConnectAdvice {
        private ConnectAdvice() {}

        @Advice.OnMethodEnter
        static void enter(@Advice.Argument(value = 2, readOnly = false) InetAddress remote,
                @Advice.Argument(value = 3, readOnly = false) int port) throws IOException {
            InetSocketAddress to = NetHooks.connect(remote, port);
            if (to != null) {
                remote = to.getAddress();
                port = to.getPort();
            }
        }
    }

    /** Inlined at the start of {@code Net.bind(ProtocolFamily, FileDescriptor, InetAddress, int)}. */
    static final class BindAdvice {
        private BindAdvice() {}

        @Advice.OnMethodEnter
        static void enter(@Advice.Argument(2) InetAddress local, @Advice.Argument(3) int port) throws IOException {
            NetHooks.bind(local, port);
        }
    }

    /** Around {@code DatagramChannelImpl.connect/bind}: the Net calls inside are UDP. */
    static final class DatagramAdvice {
        private DatagramAdvice() {}

        @Advice.OnMethodEnter
        static void enter() {
            NetHooks.enterDatagram();
        }

        @Advice.OnMethodExit(onThrowable = Throwable.class)
        static void exit() {
            NetHooks.exitDatagram();
        }
    }
}
