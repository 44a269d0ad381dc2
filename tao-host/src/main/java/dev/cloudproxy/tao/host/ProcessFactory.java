package dev.cloudproxy.tao.host;

import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.host.unix.SealedCopy;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code process} factory: a native executable or script, named {@code Program([SHA-256])}.
 *
 * <p>The file is copied once into a {@link SealedCopy}; the hash is of the copy, and the copy is
 * what runs ({@code /proc/<host pid>/fd/<n>}), so replacing or editing the file at any moment
 * changes nothing about the program that was measured and started. What the copy loads at run
 * time (the dynamic linker and shared libraries, a script's interpreter) is not measured, as in
 * CloudProxy; {@code argv[0]} is the copy's path, not the name given.
 */
public final class ProcessFactory implements ProgramFactory {
    /** Largest executable the factory copies. */
    public static final long MAX_BYTES = 1L << 30;

    @Override
    public String name() {
        return ProgramSpec.PROCESS;
    }

    @Override
    public Prepared prepare(ProgramSpec spec, Path scratch) throws ProgramStartException {
        SealedCopy copy;
        try {
            copy = SealedCopy.of(spec.path(), SealedCopy.label(String.valueOf(spec.path().getFileName())), MAX_BYTES);
        } catch (IOException e) {
            throw new ProgramStartException("cannot copy " + spec.path() + ": " + e.getMessage());
        }
        List<String> command = new ArrayList<>();
        command.add(copy.execPath().toString());
        command.addAll(spec.args());
        return new Prepared(SubPrin.of(PrinExt.of("Program", new Bytes(copy.sha256()))), scratch, seen -> command,
                Optional.of(copy.execPath()), copy);
    }
}
