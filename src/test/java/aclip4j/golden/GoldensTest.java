package aclip4j.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import aclip4j.Backend;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Every committed golden case, recomputed on both backends (the same check as {@code goldens verify goldens/}). */
class GoldensTest {
    static final Path ROOT = Path.of("goldens");

    @TestFactory
    Stream<DynamicTest> everyCaseOnEveryBackend() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Path file : Verifier.findCases(ROOT)) {
            for (Backend b : Backend.values()) {
                tests.add(DynamicTest.dynamicTest(ROOT.relativize(file) + " [" + b.label() + "]", () -> {
                    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                    Verifier.Summary s = new Verifier(Handlers.all(), new PrintStream(bytes, true, StandardCharsets.UTF_8))
                            .verify(file, List.of(b), Set.of());
                    assertEquals(0, s.failed(), bytes.toString(StandardCharsets.UTF_8));
                    assertEquals(1, s.passed(), bytes.toString(StandardCharsets.UTF_8));
                }));
            }
        }
        assertFalse(tests.isEmpty(), "no golden cases under " + ROOT.toAbsolutePath());
        return tests.stream();
    }

    @Test
    void manifestListsEveryCaseWithItsHash() throws Exception {
        Path manifest = ROOT.resolve("MANIFEST.json");
        assertTrue(Files.exists(manifest), "goldens/MANIFEST.json is missing");
        String text = Files.readString(manifest);
        JsonElement root = JsonParser.parseString(text);
        List<Path> cases = Verifier.findCases(ROOT);
        for (Path file : cases) {
            String rel = ROOT.relativize(file).toString();
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
            assertTrue(text.contains(sha), "MANIFEST.json lacks the SHA-256 of " + rel + " (" + sha + ")");
            assertTrue(text.contains(rel), "MANIFEST.json does not list " + rel);
        }
        assertTrue(root.isJsonObject() || root.isJsonArray());
    }
}
