package dev.cloudproxy.tao.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class CodeLoadingVariablesTest {
    private static final List<String> ORDINARY = List.of("HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "USER", "TERM",
            "MY_APP_CONFIG", "JAVA_VERSION", "LDAP_URL");

    @Test
    void reachesTheJvm_jvmOptionsLoaderAndCLibraryVariables_areFlaggedInAnyCase() {
        for (String name : List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS", "JDK_AOT_VM_OPTIONS",
                "CLASSPATH", "LD_PRELOAD", "LD_AUDIT", "LD_LIBRARY_PATH", "ld_preload", "DYLD_INSERT_LIBRARIES",
                "GCONV_PATH", "GLIBC_TUNABLES", "LOCPATH", "NLSPATH", "HOSTALIASES", "RESOLV_HOST_CONF", "MALLOC_TRACE",
                "TZDIR")) {
            assertThat(CodeLoadingVariables.reachesTheJvm(name)).as(name).isTrue();
            assertThat(CodeLoadingVariables.reachesAnyProgram(name)).as(name).isTrue();
        }
    }

    @Test
    void reachesAnyProgram_shellAndInterpreterVariables_areFlaggedButLeftToAJvm() {
        for (String name : List.of("BASH_ENV", "ENV", "SHELLOPTS", "PS4", "IFS", "PERL5OPT", "RUBYOPT", "NODE_OPTIONS",
                "PYTHONPATH", "PYTHONSTARTUP")) {
            assertThat(CodeLoadingVariables.reachesAnyProgram(name)).as(name).isTrue();
            assertThat(CodeLoadingVariables.reachesTheJvm(name)).as(name).isFalse();
        }
    }

    @Test
    void ordinaryVariables_areLeftAlone() {
        for (String name : ORDINARY) {
            assertThat(CodeLoadingVariables.reachesAnyProgram(name)).as(name).isFalse();
            assertThat(CodeLoadingVariables.reachesTheJvm(name)).as(name).isFalse();
        }
    }
}
