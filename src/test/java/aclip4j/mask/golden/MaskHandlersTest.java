package aclip4j.mask.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import aclip4j.Backend;
import aclip4j.golden.Compare;
import aclip4j.golden.ComponentHandler;
import aclip4j.golden.GoldenCase;
import aclip4j.golden.Handlers;
import aclip4j.tensor.Tensor;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The five masking handlers, run on in-memory golden cases whose expected outputs come from independent
 * computations (float64 formulas written here, or values worked out by hand), on both backends.
 */
class MaskHandlersTest {
    private static GoldenCase golden(String component, JsonObject params, Map<String, Tensor> tensors) {
        return new GoldenCase(Path.of("memory", component + ".safetensors"), component, params, Map.of(), "test",
                tensors);
    }

    /** Every expected output matches the handler's, under the default golden tolerance, on both backends. */
    private static void assertPasses(ComponentHandler handler, GoldenCase golden) {
        for (Backend backend : Backend.values()) {
            Map<String, Tensor> actual = handler.compute(golden, backend);
            for (Map.Entry<String, Tensor> e : golden.outputs().entrySet()) {
                Compare.Result r = Compare.compare(e.getValue(), actual.get(e.getKey()),
                        golden.tolerance(e.getKey()));
                assertTrue(r.passed(), backend + " " + e.getKey() + ": " + r.describe());
            }
        }
    }

    private static Tensor f64(double[] data, int... shape) {
        float[] f = new float[data.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) data[i];
        }
        return Tensor.f32(f, shape);
    }

    @Test
    void registered() {
        Map<String, ComponentHandler> all = Handlers.all();
        for (String name : new String[] {"attention_scores", "resize_bilinear", "view_scores", "pool_cells",
                "select_tokens"}) {
            assertTrue(all.containsKey(name), name);
            assertEquals(name, all.get(name).component());
        }
    }

    @Test
    void attentionScores() {
        int L = 2, B = 2, H = 3, T = 10, hs = 8;
        Random rnd = new Random(7);
        float[] q = new float[L * B * H * T * hs];
        float[] k = new float[q.length];
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) rnd.nextGaussian();
            k[i] = (float) rnd.nextGaussian();
        }
        for (String layers : new String[] {"all", "last"}) {
            // float64: softmax of the CLS row over all keys, keys 1..T-1, mean over the chosen layers and heads
            double[] s = new double[B * (T - 1)];
            int first = layers.equals("last") ? L - 1 : 0;
            for (int l = first; l < L; l++) {
                for (int b = 0; b < B; b++) {
                    for (int h = 0; h < H; h++) {
                        int base = ((l * B + b) * H + h) * T * hs;
                        double[] e = new double[T];
                        double sum = 0;
                        for (int j = 0; j < T; j++) {
                            double d = 0;
                            for (int c = 0; c < hs; c++) {
                                d += (double) q[base + c] * k[base + j * hs + c];
                            }
                            e[j] = Math.exp(d / Math.sqrt(hs));
                            sum += e[j];
                        }
                        for (int j = 1; j < T; j++) {
                            s[b * (T - 1) + j - 1] += e[j] / sum / ((L - first) * H);
                        }
                    }
                }
            }
            JsonObject params = new JsonObject();
            params.addProperty("layers", layers);
            Map<String, Tensor> t = new LinkedHashMap<>();
            t.put("in.q", Tensor.f32(q, L, B, H, T, hs));
            t.put("in.k", Tensor.f32(k, L, B, H, T, hs));
            t.put("out.scores", f64(s, B, T - 1));
            assertPasses(new AttentionScoresHandler(), golden("attention_scores", params, t));
        }
    }

    @Test
    void resizeBilinear() {
        // [B=1,C=2,2,2] -> [1,2,4,4]; the first plane is the hand-computed 2x2 -> 4x4 case, the second is it + 10
        float[] x = {1, 2, 3, 4, 11, 12, 13, 14};
        float[] plane = {1.0f, 1.25f, 1.75f, 2.0f, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f,
            3.0f, 3.25f, 3.75f, 4.0f};
        float[] y = new float[32];
        for (int i = 0; i < 16; i++) {
            y[i] = plane[i];
            y[16 + i] = plane[i] + 10;
        }
        JsonObject params = new JsonObject();
        params.addProperty("out_h", 4);
        params.addProperty("out_w", 4);
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("in.x", Tensor.f32(x, 1, 2, 2, 2));
        t.put("out.y", Tensor.f32(y, 1, 2, 4, 4));
        assertPasses(new ResizeBilinearHandler(), golden("resize_bilinear", params, t));
    }

    @Test
    void viewScores() {
        // image 0: EMA box 4x4 px holding the 4x4 map, view shifted (12,19) -> rows 2..3, cols -1..2 (zeros outside)
        // image 1: EMA box == view box == 4x4 px: the map itself
        float[] m = new float[32];
        for (int i = 0; i < 32; i++) {
            m[i] = i + 1;
        }
        float[] expected = {
            0, 9, 10, 11, 0, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
            17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
        JsonObject params = new JsonObject();
        params.addProperty("grid", 4);
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("in.score_map", Tensor.f32(m, 2, 4, 4));
        t.put("in.ema_box", Tensor.i32(new int[] {10, 20, 4, 4, 0, 0, 4, 4}, 2, 4));
        t.put("in.view_box", Tensor.i32(new int[] {12, 19, 4, 4, 0, 0, 4, 4}, 2, 4));
        t.put("out.view_scores", Tensor.f32(expected, 2, 4, 4));
        assertPasses(new ViewScoresHandler(), golden("view_scores", params, t));
    }

    @Test
    void poolCells() {
        int B = 2, G = 6, r = 3, g = 2;
        Random rnd = new Random(3);
        float[] s = new float[B * G * G];
        for (int i = 0; i < s.length; i++) {
            s[i] = rnd.nextFloat();
        }
        double[] mean = new double[B * g * g];
        for (int b = 0; b < B; b++) {
            for (int y = 0; y < G; y++) {
                for (int x = 0; x < G; x++) {
                    mean[(b * g + y / r) * g + x / r] += s[(b * G + y) * G + x] / 9.0;
                }
            }
        }
        JsonObject params = new JsonObject();
        params.addProperty("cell", r);
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("in.scores", Tensor.f32(s, B, G, G));
        t.put("out.cells", f64(mean, B, g, g));
        assertPasses(new PoolCellsHandler(), golden("pool_cells", params, t));

        params.addProperty("cell", 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PoolCellsHandler().compute(golden("pool_cells", params, t), Backend.SIMD));
        assertTrue(e.getMessage().contains("divisible"), e.getMessage());
    }

    @Test
    void selectTokens() {
        // g=2, r=2 (G=4, N=16). Image 0 scores (0.1, 0.5, 0.5, 0.2), noise (0.9, 0.3, 0.1, 0.3).
        // Image 1 all tied at 0.7 with noise (0.4, 0.4, 0.2, 0.4).
        float[] scores = {0.1f, 0.5f, 0.5f, 0.2f, 0.7f, 0.7f, 0.7f, 0.7f};
        float[] noise = {0.9f, 0.3f, 0.1f, 0.3f, 0.4f, 0.4f, 0.2f, 0.4f};
        // cells -> tokens on the 4x4 grid: 0 -> {0,1,4,5}, 1 -> {2,3,6,7}, 2 -> {8,9,12,13}, 3 -> {10,11,14,15}
        Object[][] cases = {
            // strategy, K, mixedTop, kept cells image 0, kept cells image 1
            {"low", 2, 0, new int[] {1, 2}, new int[] {0, 1}},
            {"high", 2, 0, new int[] {0, 3}, new int[] {0, 1}},
            {"random", 2, 0, new int[] {1, 2}, new int[] {0, 2}},
            {"mixed", 3, 1, new int[] {1, 2, 3}, new int[] {0, 1, 2}},
        };
        int[][] cellTokens = {{0, 1, 4, 5}, {2, 3, 6, 7}, {8, 9, 12, 13}, {10, 11, 14, 15}};
        for (Object[] c : cases) {
            int K = (Integer) c[1];
            int kept = K * 4;
            int[] index = new int[2 * kept];
            byte[] mask = new byte[32];
            for (int b = 0; b < 2; b++) {
                int[] cells = (int[]) c[3 + b];
                for (int cell : cells) {
                    for (int tok : cellTokens[cell]) {
                        mask[b * 16 + tok] = 1;
                    }
                }
                int n = 0;
                for (int tok = 0; tok < 16; tok++) {
                    if (mask[b * 16 + tok] == 1) {
                        index[b * kept + n++] = tok;
                    }
                }
            }
            JsonObject params = new JsonObject();
            params.addProperty("strategy", (String) c[0]);
            params.addProperty("keep_cells", K);
            params.addProperty("mixed_top_cells", (Integer) c[2]);
            params.addProperty("cell", 2);
            Map<String, Tensor> t = new LinkedHashMap<>();
            t.put("in.cell_scores", Tensor.f32(scores, 2, 2, 2));
            t.put("in.noise", Tensor.f32(noise, 2, 2, 2));
            t.put("out.keep_index", Tensor.i32(index, 2, kept));
            t.put("out.keep_mask", Tensor.u8(mask, 2, 16));
            assertPasses(new SelectTokensHandler(), golden("select_tokens", params, t));
        }
    }

    @Test
    void wrongDtypeOrShapeIsRefused() {
        JsonObject params = new JsonObject();
        params.addProperty("grid", 2);
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("in.score_map", Tensor.f32(new float[4], 1, 2, 2));
        t.put("in.ema_box", Tensor.f32(new float[4], 1, 4));
        t.put("in.view_box", Tensor.i32(new int[] {0, 0, 2, 2}, 1, 4));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ViewScoresHandler().compute(golden("view_scores", params, t), Backend.SIMD));
        assertTrue(e.getMessage().contains("in.ema_box"), e.getMessage());
        Map<String, Tensor> q = new LinkedHashMap<>();
        q.put("in.q", Tensor.f32(new float[8], 1, 1, 1, 2, 4));
        q.put("in.k", Tensor.f32(new float[8], 1, 1, 2, 1, 4));
        e = assertThrows(IllegalArgumentException.class,
                () -> new AttentionScoresHandler().compute(golden("attention_scores", new JsonObject(), q), Backend.ND4J));
        assertTrue(e.getMessage().contains("in.k"), e.getMessage());
    }
}
