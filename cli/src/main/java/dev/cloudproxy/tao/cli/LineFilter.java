package dev.cloudproxy.tao.cli;

import java.io.IOException;

/**
 * The batch mode shared by commands that convert one item: with no argument they read one item
 * per line from standard input and print one result per line, in the same order.
 *
 * <p>A blank line (only whitespace) gives an empty line, so results stay aligned with their
 * inputs. The first bad line stops the run with an {@link InputException} that names the line;
 * results printed before it stay printed.
 */
final class LineFilter {
    /** Converts one non-blank item to its one-line result. */
    @FunctionalInterface
    interface Conversion {
        String convert(String item) throws InputException;
    }

    private LineFilter() {}

    /**
     * Converts every line of {@code io.in()}. Lines longer than {@code maxLineChars} are errors.
     * Stops early, without an error, if standard output can no longer be written (the caller
     * reports that once, after flushing).
     */
    static void run(Io io, int maxLineChars, Conversion conversion) throws InputException {
        LineReader reader = new LineReader(io.in(), maxLineChars);
        for (long number = 1; ; number++) {
            String line;
            try {
                line = reader.readLine();
            } catch (InputException e) {
                throw e.prefixed("line " + number);
            } catch (IOException e) {
                throw new InputException("cannot read standard input: " + e.getMessage());
            }
            if (line == null) {
                return;
            }
            if (!line.isBlank()) {
                String result;
                try {
                    result = conversion.convert(line);
                } catch (InputException e) {
                    throw e.prefixed("line " + number);
                }
                io.out().print(result);
            }
            io.out().print('\n');
            if (io.outputFailed()) {
                return;
            }
        }
    }
}
