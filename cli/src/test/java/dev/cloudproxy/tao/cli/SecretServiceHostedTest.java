package dev.cloudproxy.tao.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudproxy.tao.cli.CliRunner.Result;
import dev.cloudproxy.tao.secrets.SecretServiceProgram;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The secret service as what it is meant to be: a hosted program of a domain (SecretServiceProgram
 * under the demo's host, certified by the demo's domain service), reached by the operator with
 * {@code tao secrets}, and serving the same objects after its host and itself restarted.
 */
class SecretServiceHostedTest {
    private static final String CONTENT = "customer 1: account 12345";

    @TempDir
    Path tmp;

    @Test
    void hostedService_operatorWritesThroughIt_andAfterHostAndServiceRestartReadsTheSameObject() throws Exception {
        Path base = tmp.resolve("demo");
        Path in = Files.writeString(tmp.resolve("f1.txt"), CONTENT);
        Path out = tmp.resolve("f1.copy");

        List<Result> first = runDemoWithService(base, (principal, address) -> List.of(
                secrets(base, principal, address, "create", "/customers", "--type", "aes-256-gcm", "--protector", "/"),
                secrets(base, principal, address, "create", "/customers/key/folder", "--type", "aes-256-gcm",
                        "--protector", "/customers"),
                secrets(base, principal, address, "write", "/customers/file/f1", "--protector", "/customers/key/folder",
                        "--in", in.toString())));
        assertThat(first).allSatisfy(r -> assertThat(r.status()).as(r.err()).isZero());
        assertThat(first.get(2).out()).isEqualTo("/customers/file/f1#1 file active\n");

        // A new host process over the same directories: the service's name, and so its sealed
        // master key, are the same; its objects are still there.
        List<Result> second = runDemoWithService(base, (principal, address) -> List.of(
                secrets(base, principal, address, "read", "/customers/file/f1", "--out", out.toString())));
        assertThat(second.get(0).status()).as(second.get(0).err()).isZero();
        assertThat(Files.readString(out)).isEqualTo(CONTENT);
        assertThat(Files.readString(base.resolve(SimpleExampleDemo.STATE_DIR).resolve("secrets")
                .resolve("secrets-audit.log"))).contains("\tWRITE\t/customers/file/f1#1\tGRANTED\tOPERATOR\t")
                .contains("\tREAD\t/customers/file/f1#1\tGRANTED\tOPERATOR\t");
    }

    private interface Operator {
        List<Result> run(String principal, String address);
    }

    private static List<Result> runDemoWithService(Path base, Operator operator) throws Exception {
        List<Result> results = new ArrayList<>();
        String domain = base.resolve(SimpleExampleDemo.DOMAIN_DIR).toAbsolutePath().toString();
        String state = base.resolve(SimpleExampleDemo.STATE_DIR).resolve("secrets").toAbsolutePath().toString();
        try (SimpleExampleDemo demo = new SimpleExampleDemo(base, new PrintWriter(new StringWriter()), DemoCommand.jars())) {
            demo.alsoRun(new SimpleExampleDemo.Extra("SecretServiceProgram", SecretServiceProgram.class,
                    ds -> List.of("--domain", domain, "--domain-service", ds, "--state", state,
                            "--listen", "127.0.0.1:0")))
                    .whileServing(serverAddress -> {
                        SimpleExampleDemo.ExtraStarted service = demo.extraStarted().orElseThrow();
                        results.addAll(operator.run(service.principal(), service.address()));
                    });
            demo.run();
        }
        return results;
    }

    private static Result secrets(Path base, String principal, String address, String verb, String... args) {
        List<String> all = new ArrayList<>(List.of("secrets", verb,
                "--domain", base.resolve(SimpleExampleDemo.DOMAIN_DIR).toString(),
                "--password-file", base.resolve(SimpleExampleDemo.PASSWORD_FILE).toString(),
                "--service", address, "--service-principal", principal, "--as", "alice"));
        all.addAll(List.of(args));
        return CliRunner.run(new ByteArrayInputStream(new byte[0]), Map.of(), all.toArray(String[]::new));
    }
}
