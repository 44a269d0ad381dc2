package dev.cloudproxy.tao.agent.tooling;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.agent.rules.ChannelRulesException;
import dev.cloudproxy.tao.channel.GroupKeySource;
import dev.cloudproxy.tao.channel.PskChannels;
import dev.cloudproxy.tao.seal.SealFormat;
import java.io.IOException;
import java.lang.instrument.Instrumentation;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/**
 * Tier 3's entry point, called once by premain. In this order: make the process non-dumpable;
 * refuse if it is traced; wait until the host has registered this process; connect to the parent
 * Tao and check that it answers; open the sealed state; install the {@code @TaoSealed} transformer
 * and, if the rules need them, the network hooks. Any failure propagates and premain ends the JVM;
 * so do {@code TAO} rules without a domain to get Tao channel credentials from. At exit, each
 * {@code TAO} rule that never selected a connect or bind is reported ({@link RuleUse}).
 */
public final class AgentInstaller {
    /** Environment variable: the Unix socket on which the launcher says "registered, go ahead". */
    public static final String GATE_ENV = "TAO_AGENT_GATE";
    /** Environment variable: the file holding this program's sealed {@code @TaoSealed} state. */
    public static final String STATE_ENV = "TAO_SEALED_STATE";
    /** Environment variable: the directory of this program's Tao paradigm state (keys, certificate). */
    public static final String PARADIGM_ENV = "TAO_PARADIGM_STATE";
    /**
     * Environment variable: {@code 1} when the launcher runs with {@code -v}; the agent then
     * prints its view (rules, certificate, relay ports). Not an agent option, because those are
     * measured: {@code -v} must not change the program's name. It only adds lines holding no secret.
     */
    public static final String VERBOSE_ENV = "TAO_AGENT_VERBOSE";
    /**
     * Environment variable: the app id the launcher runs this program as. When set, the
     * {@code @TaoSealed} state and the Tao paradigm's keys are sealed to the app
     * ({@code app:<app-id>}), which every version the host's guard admits can open; otherwise to
     * the program's exact name. Not measured: it is no authority, only which app's state this
     * program asks for; the host's guard decides whether its name may have it.
     */
    public static final String APP_ID_ENV = "TAO_APP_ID";

    private AgentInstaller() {}

    /**
     * Installs the agent; returns the {@code @TaoSealed} callbacks for premain to wire into the
     * tier-1 hooks: {@code "restore"} a {@code Consumer<Class<?>>}, {@code "flush"} a
     * {@code Callable<Void>} (JDK types: premain's class loader cannot see ours), and {@code "tao"}
     * the {@link dev.cloudproxy.tao.agent.TaoBridge} that the application's Tao API is bound to.
     *
     * @param appendBootstrap puts tier 2 on the bootstrap class path; called only if needed
     */
    public static Map<String, Object> install(String options, Instrumentation inst, Path workDir, Runnable appendBootstrap)
            throws Exception {
        Hardening.makeNonDumpable(workDir);
        Hardening.checkNotTraced();
        AgentOptions opts;
        try {
            opts = AgentOptions.parse(options);
        } catch (ChannelRulesException e) {
            throw new IllegalArgumentException("bad channel rules in the agent options: " + e.getMessage());
        }
        opts.requireDomainForTao();
        AgentLines lines = new AgentLines(() -> System.err, System::nanoTime, "1".equals(System.getenv(VERBOSE_ENV)));
        opts.rules().rules().forEach(r -> lines.info("tao-agent: rule '" + r + "'"));
        waitForGate();
        CoreTao tao = connectParent();
        String appId = System.getenv(APP_ID_ENV);
        String policy = appId == null || appId.isEmpty() ? CoreTao.SEAL_POLICY_SELF : CoreTao.SEAL_POLICY_APP_PREFIX + appId;
        SealFormat.appId(policy); // a malformed id refuses the start here, not at the first seal
        // Before the sealed state: the paradigm extends the program's name with PolicyKey([..]),
        // and the state is sealed to the full name.
        ChannelCredentials credentials = opts.rules().needsTao() && opts.domainService().isPresent()
                ? ChannelCredentials.obtain(tao, opts, System.getenv(PARADIGM_ENV), policy) : null;

        String stateFile = System.getenv(STATE_ENV);
        SealedState sealed = SealedState.open(tao, policy, stateFile == null || stateFile.isEmpty() ? null : Path.of(stateFile),
                inst, opts.sealEvery());
        inst.addTransformer(new SealedTransformer(), false);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> sealed.flushQuietly("final"), "tao-sealed-state-exit"));

        if (credentials != null) {
            credentials.certificate().ifPresent(c -> lines.info("tao-agent: program certificate: subject "
                    + c.getSubjectX500Principal().getName() + ", serial " + c.getSerialNumber().toString(16)
                    + ", valid until " + c.getNotAfter().toInstant()));
        }
        Optional<PskChannels> psk = opts.rules().needsPsk() ? pskChannels(tao) : Optional.empty();
        if (opts.rules().needsPsk() && psk.isEmpty()) {
            lines.print("tao-agent: WARNING: this program's Tao name cannot be read, so every connection "
                    + "and bind that a TAO-PSK rule selects will be refused");
        }
        TaoChannels channels = TaoChannels.of(Optional.ofNullable(credentials), psk, lines);
        if (opts.rules().needsHooks()) {
            appendBootstrap.run();
            RuleUse use = new RuleUse(opts.rules());
            installNetHooks(inst, opts, channels, use);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                use.summary().forEach(lines::info);
                use.report(System.err);
            }, "tao-rules-report"));
        }
        Consumer<Class<?>> restore = sealed::restore;
        Callable<Void> flush = () -> {
            sealed.flush();
            return null;
        };
        return Map.of("restore", restore, "flush", flush, "tao", new ParentBridge(tao, channels));
    }

    /**
     * PSK channels for {@code TAO-PSK} rules, named with the program's full name (read after the
     * paradigm has extended it) and keyed by its Tao's group keys ({@code getGroupKey} of this
     * program and its peer: the Tao answers if it, or a host above it, is an ancestor of both).
     * Empty if the name cannot be read: then every {@code TAO-PSK} connection fails closed
     * ({@link TaoChannels}).
     */
    private static Optional<PskChannels> pskChannels(CoreTao tao) {
        try {
            return Optional.of(PskChannels.builder(tao.getTaoName(), GroupKeySource.of(tao::getGroupKey)).build());
        } catch (IOException | TaoException e) {
            return Optional.empty();
        }
    }

    /**
     * Only types of tier 3 and the JDK in this signature: verifying this class must not load a
     * tier-2 class before tier 2 is on the bootstrap class path.
     */
    private static void installNetHooks(Instrumentation inst, AgentOptions opts, TaoChannels channels, RuleUse use)
            throws IOException {
        // Byte Buddy would probe sun.misc.Unsafe, which JDK 24+ warns about on the app's stderr;
        // the advice is inlined and injects no classes, so it needs none of it.
        String old = System.setProperty("net.bytebuddy.safe", "true");
        try {
            NetInstrumentation.install(inst, opts.rules(), channels, use);
        } finally {
            if (old == null) {
                System.clearProperty("net.bytebuddy.safe");
            } else {
                System.setProperty("net.bytebuddy.safe", old);
            }
        }
    }

    /**
     * The launcher registers this process with its host only after it has started, so the agent
     * waits for its word before connecting (the host would refuse an unregistered process). The
     * launcher answers every connection on the gate socket once registration is done; a launcher
     * that died closes it, which ends the wait with an error.
     */
    private static void waitForGate() throws IOException {
        String gate = System.getenv(GATE_ENV);
        if (gate == null || gate.isEmpty()) {
            return;
        }
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(Path.of(gate)));
            ByteBuffer b = ByteBuffer.allocate(1);
            while (b.hasRemaining()) {
                if (ch.read(b) < 0) {
                    throw new IOException("the launcher closed the gate without registering this process");
                }
            }
            if (b.get(0) != 'G') {
                throw new IOException("unexpected answer on the launcher's gate");
            }
        }
    }

    private static CoreTao connectParent() throws IOException {
        try {
            CoreTao tao = CoreTao.parent();
            tao.getTaoName(); // the host answers, and knows this process
            return tao;
        } catch (TaoException e) {
            throw new IOException("no usable parent Tao: " + e.getMessage());
        }
    }
}
