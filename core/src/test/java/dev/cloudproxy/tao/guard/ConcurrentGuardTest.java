package dev.cloudproxy.tao.guard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.keys.Signer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConcurrentGuardTest {
    @TempDir
    Path dir;

    @Test
    void isAuthorized_whileFileIsRewritten_alwaysOldOrNewAnswer() throws Exception {
        Prin always = DatalogGuardTest.HOST.extend(DatalogGuardTest.PROGRAM);
        Prin sometimes = DatalogGuardTest.OTHER_HOST.extend(DatalogGuardTest.PROGRAM);
        Path file = dir.resolve("policy.rules");
        try (Signer policy = Signer.generate()) {
            DatalogGuard writer = DatalogGuard.create(file, policy.verifier());
            DatalogGuardTest.addTemplate(writer);
            writer.save(policy);
            DatalogGuard reader = DatalogGuard.load(file, policy.verifier());

            AtomicBoolean stop = new AtomicBoolean();
            ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                List<Future<Integer>> readers = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    readers.add(pool.submit(() -> {
                        int checks = 0;
                        while (!stop.get()) {
                            assertThat(reader.isAuthorized(always, "Execute", List.of())).isTrue();
                            reader.isAuthorized(sometimes, "Execute", List.of());
                            checks++;
                        }
                        return checks;
                    }));
                }
                String otherHost = "TrustedHost(" + DatalogGuardTest.OTHER_HOST + ")";
                for (int i = 0; i < 40; i++) {
                    if (i % 2 == 0) {
                        writer.addRule(otherHost);
                    } else {
                        writer.retractRule(otherHost);
                    }
                    writer.save(policy);
                }
                stop.set(true);
                for (Future<Integer> f : readers) {
                    assertThat(f.get(30, TimeUnit.SECONDS)).isPositive();
                }
            } finally {
                stop.set(true);
                pool.shutdownNow();
            }

            assertThat(reader.isAuthorized(sometimes, "Execute", List.of())).isFalse();
            assertThat(reader.subprincipal()).isEqualTo(writer.subprincipal());
            assertThat(reader.lastReloadFailure()).isEmpty();
        }
    }
}
