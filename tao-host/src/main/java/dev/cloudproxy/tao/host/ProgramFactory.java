package dev.cloudproxy.tao.host;

import dev.cloudproxy.tao.auth.SubPrin;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

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
     *     with the returned {@link Prepared}. A root host then makes what is in it readable (not
     *     writable) by the program's own user, and by no one else.
     */
    Prepared prepare(ProgramSpec spec, Path scratch) throws ProgramStartException;

    /** A measured program, ready to start; closing it releases its private copies. */
    final class Prepared implements AutoCloseable {
        private final SubPrin subprin;
        private final Path scratch;
        private final Function<Path, List<String>> command;
        private final Optional<Path> image;
        private final AutoCloseable resources;

        /** A program whose command names nothing in the scratch directory. */
        public Prepared(SubPrin subprin, List<String> command, AutoCloseable resources) {
            this(subprin, Path.of("/"), seen -> command, Optional.empty(), resources);
        }

        /**
         * A program whose command may name files the factory made in {@code scratch}.
         *
         * @param command the command line, given the path at which the program will find
         *     {@code scratch}: a program under its own user reaches it through a descriptor, not
         *     by the host's path ({@link ProgramRunner})
         * @param image when present, the command's first element: a sealed copy that only the
         *     host's own processes can open by that path ({@code /proc/<host pid>/fd/<n>})
         */
        public Prepared(SubPrin subprin, Path scratch, Function<Path, List<String>> command, Optional<Path> image,
                AutoCloseable resources) {
            this.subprin = Objects.requireNonNull(subprin, "subprin");
            this.scratch = Objects.requireNonNull(scratch, "scratch");
            this.command = Objects.requireNonNull(command, "command");
            this.image = Objects.requireNonNull(image, "image");
            this.resources = Objects.requireNonNull(resources, "resources");
        }

        /** The extension naming the program, e.g. {@code Program([hash])}. */
        public SubPrin subprin() {
            return subprin;
        }

        /** The command line that runs the measured copy, arguments included, by the host's paths. */
        public List<String> command() {
            return List.copyOf(command.apply(scratch));
        }

        /**
         * The command line as a program sees it that finds the scratch directory at
         * {@code scratchSeenAs} and, if there is an {@link #image}, the image at {@code imageSeenAs}.
         */
        public List<String> command(Path scratchSeenAs, Path imageSeenAs) {
            List<String> c = new ArrayList<>(command.apply(scratchSeenAs));
            if (image.isPresent()) {
                c.set(0, imageSeenAs.toString());
            }
            return List.copyOf(c);
        }

        /** The sealed copy the command runs, when it is one that only the host can open by path. */
        public Optional<Path> image() {
            return image;
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
