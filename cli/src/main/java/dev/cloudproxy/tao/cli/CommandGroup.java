package dev.cloudproxy.tao.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A command that only groups subcommands, such as {@code tao} itself or {@code tao auth}. Run
 * without one of its subcommands it prints its usage, which lists them, to standard error and
 * exits {@value TaoCli#EXIT_USAGE}.
 */
public abstract class CommandGroup implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return TaoCli.EXIT_USAGE;
    }
}
