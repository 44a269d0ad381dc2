package dev.cloudproxy.tao.launch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.host.ProgramSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LaunchCatalogTest {
    private static LaunchCatalog parse(String text) throws CatalogException {
        return LaunchCatalog.parse(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void parse_entriesCommentsAndBlankLines_giveTheEntriesInOrder() throws Exception {
        LaunchCatalog c = parse("# comment\n\nLaunchable(\"hello\", \"process\", \"/opt/hello.sh\", \"run\", 0)\n"
                + "  Launchable(\"grep\", \"jvm\", \"/opt/grep.jar\", \"run\", 2, \"-c\", \"--\")  \n");

        assertThat(c.entries()).extracting(LaunchCatalog.Entry::name).containsExactly("hello", "grep");
        LaunchCatalog.Entry grep = c.find("grep").orElseThrow();
        assertThat(grep.factory()).isEqualTo(ProgramSpec.JVM);
        assertThat(grep.fixedArgs()).containsExactly("-c", "--");
        assertThat(grep.spec(List.of("x")).args()).containsExactly("-c", "--", "x");
        assertThat(c.find("nope")).isEmpty();
    }

    @Test
    void spec_moreClientArgumentsThanAllowed_isRefused() throws Exception {
        LaunchCatalog.Entry e = parse("Launchable(\"hello\", \"process\", \"/opt/hello.sh\", \"run\", 1)\n")
                .find("hello").orElseThrow();

        assertThrows(IllegalArgumentException.class, () -> e.spec(List.of("a", "b")));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "Launchable(\"hello\", \"process\", \"/opt/hello.sh\", \"run\")\n",           // too few
        "Launchable(\"Hello\", \"process\", \"/opt/hello.sh\", \"run\", 0)\n",         // bad name
        "Launchable(\"hello\", \"native\", \"/opt/hello.sh\", \"run\", 0)\n",          // bad factory
        "Launchable(\"hello\", \"process\", \"opt/hello.sh\", \"run\", 0)\n",          // relative path
        "Launchable(\"hello\", \"process\", \"/opt/hello.sh\", \"daemon\", 0)\n",      // bad mode
        "Launchable(\"hello\", \"process\", \"/opt/hello.sh\", \"run\", -1)\n",        // negative
        "Launchable(\"hello\", \"process\", \"/opt/hello.sh\", \"run\", 65)\n",        // too many
        "Launchable(\"hello\", \"process\", \"/opt/hello.sh\", \"run\", \"0\")\n",     // not a number
        "Launchable(\"hello\", \"process\", \"/opt/hello.sh\", \"run\", 0, 7)\n",      // arg not a string
        "Program(\"hello\", \"process\", \"/opt/hello.sh\", \"run\", 0)\n",            // other predicate
        "Launchable(\"hello\", \"process\", \"/opt/hello.sh\", \"run\", 0\n",          // unbalanced
        "hello = /opt/hello.sh\n",                                                     // not the language
        "Launchable(\"a\", \"process\", \"/a\", \"run\", 0)\nLaunchable(\"a\", \"process\", \"/b\", \"run\", 0)\n",
        "Launchable(\"hello\", \"process\", \"/opt/hello.sh\", \"run\", 0)\u0007\n",   // control character
        "Launchable(\"hello\", \"process\", \"/opt/hello.sh\", \"run\", 0)",           // truncated: no newline
    })
    void parse_malformedCatalog_isACatalogExceptionNamingTheLine(String text) {
        CatalogException e = assertThrows(CatalogException.class, () -> parse(text));

        assertThat(e.getMessage()).containsAnyOf("line", "newline");
    }

    @Test
    void parse_badUtf8_isRefused() {
        byte[] bad = {'#', ' ', (byte) 0xc3, '\n'};

        assertThrows(CatalogException.class, () -> LaunchCatalog.parse(bad));
    }

    @Test
    void parse_oversizedCatalog_isRefused() {
        byte[] big = ("#" + "x".repeat(LaunchCatalog.MAX_BYTES) + "\n").getBytes(StandardCharsets.UTF_8);

        CatalogException e = assertThrows(CatalogException.class, () -> LaunchCatalog.parse(big));
        assertThat(e).hasMessageContaining("larger than");
    }

    @Test
    void parse_moreEntriesThanTheBound_isRefused() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i <= LaunchCatalog.MAX_ENTRIES; i++) {
            b.append("Launchable(\"p").append(i).append("\", \"process\", \"/p\", \"run\", 0)\n");
        }

        CatalogException e = assertThrows(CatalogException.class, () -> parse(b.toString()));
        assertThat(e).hasMessageContaining("entries");
    }

    @Test
    void load_noFile_isAnEmptyCatalog_andAnOversizedFileIsRefused(@TempDir Path dir) throws Exception {
        assertThat(LaunchCatalog.load(dir).entries()).isEmpty();

        Files.write(dir.resolve(LaunchCatalog.FILE), new byte[LaunchCatalog.MAX_BYTES + 10]);
        assertThrows(CatalogException.class, () -> LaunchCatalog.load(dir));
    }
}
