package dev.cloudproxy.tao.domain;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzzes the domain template parser: on any bytes, {@link DomainTemplate#parse} either refuses
 * with a {@link DomainException} or returns a template, whatever the keys, values, principals,
 * rules and hashes in it. Anything else thrown, including a stack overflow or running out of
 * memory, is a finding.
 *
 * <p>Every build runs this in regression mode on the empty input and the seeds in
 * {@code src/test/resources/dev/cloudproxy/tao/domain/DomainTemplateFuzzTestInputs/} (the
 * templates of docs/domains.md and near misses; files named {@code finding-*} are inputs of fixed
 * bugs). {@code .ci/fuzz} runs it in fuzzing mode.
 */
class DomainTemplateFuzzTest {

    @FuzzTest
    void parse_anyBytes_returnsTemplateOrThrowsDomainError(byte[] text) {
        try {
            DomainTemplate.parse(text, "fuzzed template");
        } catch (DomainException rejected) {
            // The one documented failure.
        }
    }
}
