package dev.cloudproxy.tao.launcher.apps;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/** Copies standard input to standard output in upper case, then prints {@code done} on standard error. */
public final class UpperApp {
    private UpperApp() {}

    public static void main(String[] args) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            System.out.println(line.toUpperCase(java.util.Locale.ROOT));
        }
        System.err.println("done");
    }
}
