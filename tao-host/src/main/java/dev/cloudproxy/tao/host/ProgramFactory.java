package dev.cloudproxy.tao.host;

import dev.cloudproxy.tao.auth.SubPrin;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Measures a program and says how to run exactly what it measured. The host appends the
 * returned subprincipal to its own name; the command runs the measured bytes, never the file the
 * caller named (which may change at any time).
 */
public interface ProgramFactory {
    /** The factory's name in a {@link ProgramSpec}: {@code process} or {@code jvm}. */
    String name();

    /**
     * Copies and measures the program.
     *
     * @param scratch a private directory (mode 0700) this call may create files in; it is removed
     *     with the returned {@link Prepared}
     */
    Prepared prepare(ProgramSpec spec, Path scratch) throws ProgramStartException;

    /** A measured program, ready to start; closing it releases its private copies. */
    final class Prepared implements AutoCloseable {
        private final SubPrin subprin;
        private final List<String> command;
        private final AutoCloseable resources;

        public Prepared(SubPrin subprin, List<String> command, AutoCloseable resources) {
            this.subprin = Objects.requireNonNull(subprin, "subprin");
            this.command = List.copyOf(command);
            this.resources = Objects.requireNonNull(resources, "resources");
        }

        /** The extension naming the program, e.g. {@code Program([hash])}. */
        public SubPrin subprin() {
            return subprin;
        }

        /** The command line that runs the measured copy, arguments included. */
        public List<String> command() {
            return command;
        }

        @Override
        public void close() {
            try {
                resources.close();
            } catch (Exception e) {
                // Releasing a private copy cannot fail in a way the caller could act on.
            }
        }
    }
}
