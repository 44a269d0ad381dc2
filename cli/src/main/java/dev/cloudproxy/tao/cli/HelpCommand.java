package dev.cloudproxy.tao.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code tao help [COMMAND...]}: the same text as {@code tao COMMAND... --help}. Ours rather than
 * picocli's built-in one, whose own {@code -h} option clashes with the {@code --help} every
 * command inherits, and which cannot name a nested command such as {@code auth encode}.
 */
@Command(
        name = "help",
        helpCommand = true,
        description = "Show the help of a command (of tao itself if none is named).",
        footerHeading = "%nExamples:%n",
        footer = {
            "  tao help auth",
            "  tao help auth encode"
        })
final class HelpCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Parameters(
            arity = "0..*",
            paramLabel = "COMMAND",
            description = "A command, with its subcommands if any, such as: auth encode.")
    private List<String> path = List.of();

    @Override
    public Integer call() {
        CommandLine target = spec.parent().commandLine();
        for (String name : path) {
            CommandLine sub = target.getSubcommands().get(name);
            if (sub == null) {
                throw new ParameterException(spec.commandLine(), "'" + target.getCommandName()
                        + "' has no command '" + name + "'");
            }
            target = sub;
        }
        target.usage(spec.commandLine().getOut());
        return TaoCli.EXIT_OK;
    }
}
