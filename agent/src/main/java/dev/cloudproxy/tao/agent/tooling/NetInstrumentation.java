package dev.cloudproxy.tao.agent.tooling;

import static net.bytebuddy.matcher.ElementMatchers.any;
import static net.bytebuddy.matcher.ElementMatchers.isDeclaredBy;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.namedOneOf;
import static net.bytebuddy.matcher.ElementMatchers.none;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import dev.cloudproxy.tao.agent.bootstrap.NetHooks;
import dev.cloudproxy.tao.agent.rules.ChannelRules;
import java.io.FileDescriptor;
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
import net.bytebuddy.asm.MemberSubstitution;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.utility.JavaModule;

/**
 * Puts advice into {@code sun.nio.ch.Net.connect} and {@code Net.bind} (the four-argument forms,
 * which every other form and every JDK socket API calls), {@code Net.localAddress}, and into
 * {@code DatagramChannelImpl}'s connect and bind (to let UDP through); replaces the calls of the
 * native {@code Net.accept} in the three JDK classes that accept TCP connections ({@code
 * NioSocketImpl} for {@code ServerSocket}, {@code ServerSocketChannelImpl}, and the asynchronous
 * server channel) by calls of {@link NetHooks#accept}, and tells {@link NetHooks#closing} when
 * they close. Fails if any of these classes was not
 * transformed: an agent that believed it enforced rules it does not would be worse than none.
 */
final class NetInstrumentation {
    static final String NET = "sun.nio.ch.Net";
    static final String DATAGRAM = "sun.nio.ch.DatagramChannelImpl";
    /** The JDK classes that call {@code Net.accept} (JDK 17 to 25). */
    static final List<String> ACCEPTORS = List.of("sun.nio.ch.NioSocketImpl", "sun.nio.ch.ServerSocketChannelImpl",
            "sun.nio.ch.UnixAsynchronousServerSocketChannelImpl");

    private NetInstrumentation() {}

    static void install(Instrumentation inst, ChannelRules rules, TaoChannels channels, RuleUse use)
            throws IOException {
        install(inst, new NetPolicy(rules, channels, use));
    }

    static void install(Instrumentation inst, NetHooks.Handler handler) throws IOException {
        // Advice inlined into java.base calls NetHooks, which lives in the boot loader's unnamed
        // module; a named module reads it only when told to. NetHooks in turn calls the real
        // Net.accept and Net.localAddress, in a package java.base exports to nobody.
        Module javaBase = Object.class.getModule();
        Module hooks = NetHooks.class.getModule();
        inst.redefineModule(javaBase, Set.of(hooks), Map.of("sun.nio.ch", Set.of(hooks)), Map.of(), Set.of(), Map.of());
        NetHooks.install(handler);
        MemberSubstitution.WithoutSpecification acceptCalls = MemberSubstitution.relaxed()
                .method(named("accept").and(isDeclaredBy(named(NET))).and(takesArguments(3)));
        net.bytebuddy.asm.AsmVisitorWrapper acceptHook;
        try {
            acceptHook = acceptCalls.replaceWith(NetHooks.class.getMethod("accept", FileDescriptor.class,
                    FileDescriptor.class, InetSocketAddress[].class)).on(any());
        } catch (NoSuchMethodException e) {
            throw new IOException("the accept hook is missing: " + e.getMessage());
        }

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
                                BindAdvice.class.getName())
                        .advice(named("localAddress").and(takesArguments(1)).and(takesArgument(0, FileDescriptor.class)),
                                LocalAddressAdvice.class.getName()))
                .type(namedOneOf(ACCEPTORS.toArray(new String[0])))
                .transform((builder, type, loader, module, domain) -> builder.visit(acceptHook))
                .transform(new AgentBuilder.Transformer.ForAdvice()
                        .include(ours)
                        .advice(takesArguments(0).and(named("close").and(isDeclaredBy(named(ACCEPTORS.get(0))))
                                .or(named("implCloseSelectableChannel").and(isDeclaredBy(named(ACCEPTORS.get(1)))))
                                .or(named("implClose").and(isDeclaredBy(named(ACCEPTORS.get(2)))))),
                                CloseAdvice.class.getName()))
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
            for (String acceptor : ACCEPTORS) {
                Class.forName(acceptor, false, null);
            }
        } catch (ClassNotFoundException e) {
            throw new IOException("this JDK has no " + e.getMessage() + "; the network hooks cannot be installed");
        }
        synchronized (errors) {
            if (!errors.isEmpty()) {
                throw new IOException("installing the network hooks failed: " + errors.get(0));
            }
        }
        List<String> wanted = new ArrayList<>(ACCEPTORS);
        wanted.add(NET);
        wanted.add(DATAGRAM);
        wanted.removeAll(transformed);
        if (!wanted.isEmpty()) {
            throw new IOException("the network hooks were not installed into " + String.join(", ", wanted));
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

    /** Inlined around {@code Net.bind(ProtocolFamily, FileDescriptor, InetAddress, int)}. */
    static final class BindAdvice {
        private BindAdvice() {}

        @Advice.OnMethodEnter
        static void enter(@Advice.Argument(1) FileDescriptor fd,
                @Advice.Argument(value = 2, readOnly = false) InetAddress local,
                @Advice.Argument(value = 3, readOnly = false) int port) throws IOException {
            InetSocketAddress to = NetHooks.bind(fd, local, port);
            if (to != null) {
                local = to.getAddress();
                port = to.getPort();
            }
        }

        @Advice.OnMethodExit(onThrowable = Throwable.class)
        static void exit(@Advice.Argument(1) FileDescriptor fd, @Advice.Thrown Throwable failure) {
            NetHooks.bound(fd, failure);
        }
    }

    /** Inlined at the end of {@code Net.localAddress(FileDescriptor)}. */
    static final class LocalAddressAdvice {
        private LocalAddressAdvice() {}

        @Advice.OnMethodExit
        static void exit(@Advice.Argument(0) FileDescriptor fd,
                @Advice.Return(readOnly = false) InetSocketAddress address) {
            address = NetHooks.localAddress(fd, address);
        }
    }

    /**
     * Inlined at the start of {@code NioSocketImpl.close()}, {@code
     * ServerSocketChannelImpl.implCloseSelectableChannel()} and {@code
     * UnixAsynchronousServerSocketChannelImpl.implClose()}: a socket (maybe a server socket whose
     * connections the incoming relay carries) is being closed.
     */
    static final class CloseAdvice {
        private CloseAdvice() {}

        @Advice.OnMethodEnter
        static void enter(@Advice.FieldValue("fd") FileDescriptor fd) {
            if (fd != null) {
                NetHooks.closing(fd);
            }
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
