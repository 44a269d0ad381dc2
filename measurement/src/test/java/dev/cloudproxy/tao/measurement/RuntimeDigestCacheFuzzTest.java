package dev.cloudproxy.tao.measurement;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cloudproxy.tao.measurement.RuntimeDigestCache.Stamp;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;

/**
 * Fuzzes the runtime digest cache's file parser: any bytes decode to entries or to nothing (the
 * file is then ignored), never an exception, and entries that decode encode to a file that
 * decodes to the same entries.
 *
 * <p>The fuzzer's bytes are taken as the file without its trailing checksum, which the target
 * appends, so the fuzzer explores the structure behind the checksum (as a forger writing the file
 * would) instead of being stopped by it. Every build replays the empty input and the seeds in
 * {@code src/test/resources/dev/cloudproxy/tao/measurement/RuntimeDigestCacheFuzzTestInputs/};
 * {@code .ci/fuzz} runs it in fuzzing mode.
 */
class RuntimeDigestCacheFuzzTest {
    @FuzzTest
    void decode_anyBytes_entriesThatRoundTripOrNothing(byte[] body) {
        byte[] file = Arrays.copyOf(body, body.length + 32);
        System.arraycopy(Digests.sha256().digest(body), 0, file, body.length, 32);
        Optional<Map<Stamp, byte[]>> entries = RuntimeDigestCache.decode(file);
        if (entries.isEmpty()) {
            return;
        }
        Map<Stamp, byte[]> again = RuntimeDigestCache.decode(RuntimeDigestCache.encode(entries.get()))
                .orElseThrow(() -> new AssertionError("decoded entries encode to a file that does not decode"));
        if (!again.keySet().equals(entries.get().keySet())) {
            throw new AssertionError("the entries changed in a round trip");
        }
        for (Map.Entry<Stamp, byte[]> e : entries.get().entrySet()) {
            if (!Arrays.equals(again.get(e.getKey()), e.getValue())) {
                throw new AssertionError("a digest changed in a round trip");
            }
        }
    }
}
