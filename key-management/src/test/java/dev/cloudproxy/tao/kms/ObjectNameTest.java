package dev.cloudproxy.tao.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ObjectNameTest {
    @Test
    void of_seedExample_hasZoneAndSegments() {
        ObjectName name = ObjectName.of("/zone/key/customer-folder-key");
        assertThat(name.zone()).isEqualTo("zone");
        assertThat(name.segments()).containsExactly("zone", "key", "customer-folder-key");
        assertThat(name).hasToString("/zone/key/customer-folder-key");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "/", "zone/key", "/zone/", "//zone", "/zone//key", "/zone/./key", "/zone/../key",
        "/..", "/.", "/zone/key with space", "/zone/k\u00e9y", "/zone/key\n", "/zone\\key", "/zone/key#3"})
    void of_malformed_isRefused(String text) {
        assertThatThrownBy(() -> ObjectName.of(text)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void of_tooLongOrTooDeep_isRefused() {
        assertThatThrownBy(() -> ObjectName.of("/" + "a".repeat(ObjectName.MAX_SEGMENT + 1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ObjectName.of("/a".repeat(ObjectName.MAX_DEPTH + 1)))
                .isInstanceOf(IllegalArgumentException.class);
        String longest = ("/" + "b".repeat(ObjectName.MAX_SEGMENT - 1)).repeat(4);
        assertThat(ObjectName.of(longest).segments()).hasSize(4);
        assertThatThrownBy(() -> ObjectName.of(longest + "/c"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(ObjectName.of("/a".repeat(ObjectName.MAX_DEPTH)).segments()).hasSize(ObjectName.MAX_DEPTH);
    }

    @Test
    void root_isNotParseableAndHasNoZone() {
        assertThat(ObjectName.ROOT.isRoot()).isTrue();
        assertThatThrownBy(ObjectName.ROOT::zone).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void objectId_epochZero_isRefused() {
        assertThatThrownBy(() -> ObjectId.of("/zone", 0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(ObjectId.of("/zone/key/k", 3)).hasToString("/zone/key/k#3");
    }
}
