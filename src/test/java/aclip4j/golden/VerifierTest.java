package aclip4j.golden;

import aclip4j.tensor.Tensor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import aclip4j.Backend;
import com.google.gson.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VerifierTest {
    @TempDir
    Path dir;

    /** A toy component: y = 2x, with a deliberate error of 1e-3 at index 2 on the ND4J side. */
    private static final ComponentHandler DOUBLER = new ComponentHandler() {
        @Override
        public String component() {
            return "double_it";
        }

        @Override
        public Map<String, Tensor> compute(GoldenCase golden, Backend backend) {
            float[] x = golden.input("x").floats();
            float[] y = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                y[i] = 2 * x[i] + (backend == Backend.ND4J && i == 2 ? 1e-3f : 0f);
            }
            return Map.of("out.y", Tensor.f32(y, golden.input("x").shape()));
        }
    };

    private void writeCase(String name, String component, float[] x, float[] y) throws IOException {
        new GoldenCase(dir.resolve(name), component, new JsonObject(), Map.of(), "test",
                Map.of("in.x", Tensor.f32(x, x.length), "out.y", Tensor.f32(y, y.length)))
                .write(dir.resolve(name));
    }

    private String run(List<Backend> backends, Set<String> components, int[] counts) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Verifier.Summary s = new Verifier(Map.of("double_it", DOUBLER), new PrintStream(bytes, true, StandardCharsets.UTF_8))
                .verify(dir, backends, components);
        counts[0] = s.passed();
        counts[1] = s.failed();
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void reportsOneLinePerCaseAndBackendThenTotals() throws IOException {
        writeCase("a.safetensors", "double_it", new float[] {1, 2, 3, 4}, new float[] {2, 4, 6, 8});
        writeCase("sub/b.safetensors", "not_yet", new float[] {1}, new float[] {2});
        Files.write(dir.resolve("broken.safetensors"), new byte[] {9, 9});
        int[] counts = new int[2];
        String out = run(List.of(Backend.SIMD, Backend.ND4J), Set.of(), counts);
        String[] lines = out.strip().split("\n");
        assertEquals(7, lines.length, out);
        assertTrue(lines[0].startsWith("PASS a.safetensors [simd]"), out);
        assertTrue(lines[1].startsWith("FAIL a.safetensors [nd4j]"), out);
        assertTrue(lines[1].contains("worst at [2]: expected 6, actual 6.00099993"), out);
        assertTrue(out.contains("FAIL broken.safetensors [simd] unreadable"), out);
        assertTrue(out.contains("FAIL sub/b.safetensors [nd4j] not_yet: unsupported component"), out);
        assertEquals("1 passed, 5 failed", lines[lines.length - 1]);
        assertEquals(1, counts[0]);
        assertEquals(5, counts[1]);
    }

    @Test
    void componentFilterSkipsOtherCases() throws IOException {
        writeCase("a.safetensors", "double_it", new float[] {1, 2, 3}, new float[] {2, 4, 6});
        writeCase("b.safetensors", "not_yet", new float[] {1}, new float[] {2});
        int[] counts = new int[2];
        String out = run(List.of(Backend.SIMD), Set.of("double_it"), counts);
        assertEquals(1, counts[0]);
        assertEquals(0, counts[1]);
        assertTrue(out.strip().endsWith("1 passed, 0 failed"), out);
    }

    @Test
    void compareUsesAtolPlusRtolAndRefusesNaN() {
        Tensor r = Tensor.f32(new float[] {100f, 1f}, 2);
        GoldenCase.Tolerance tol = new GoldenCase.Tolerance(1e-3, 1e-2);
        assertTrue(Compare.compare(r, Tensor.f32(new float[] {100.9f, 1.0105f}, 2), tol).passed());
        assertTrue(!Compare.compare(r, Tensor.f32(new float[] {101.1f, 1f}, 2), tol).passed());
        assertTrue(!Compare.compare(r, Tensor.f32(new float[] {Float.NaN, 1f}, 2), tol).passed());
        assertTrue(!Compare.compare(r, Tensor.f32(new float[] {100f, 1f, 0f}, 3), tol).passed());
        Tensor ints = Tensor.i32(new int[] {1, 2}, 2);
        assertTrue(!Compare.compare(ints, Tensor.i32(new int[] {1, 3}, 2), tol).passed());
        assertTrue(Compare.compare(ints, Tensor.i32(new int[] {1, 2}, 2), tol).passed());
    }
}
