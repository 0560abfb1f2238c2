package aclip4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;

/** {@code aclip4j bench} runs and reports what it measured; the numbers themselves are not judged here. */
class BenchCommandTest {
    @Test
    void jsonLineHasEveryResultTheRatiosAndThePeak() {
        Object[] r = EvalCommandTest.run("bench", "--batch", "4", "--steps", "1", "--warmup", "0", "--threads", "1",
                "--json");
        assertEquals(0, r[0], (String) r[2]);
        JsonObject o = EvalCommandTest.lastJson((String) r[1]);
        assertTrue(o.get("peak_gflops").getAsDouble() > 0, o.toString());
        assertEquals(1, o.get("threads").getAsInt());
        assertEquals("tiny", o.get("model").getAsString());
        JsonArray results = o.getAsJsonArray("results");
        assertEquals(3, results.size());
        double clipGflop = 0;
        for (int i = 0; i < 3; i++) {
            JsonObject x = results.get(i).getAsJsonObject();
            assertEquals(new String[] {"clip", "aclip", "aclip-eff"}[i], x.get("variant").getAsString());
            double s = x.get("seconds").getAsDouble(), g = x.get("gflop").getAsDouble();
            assertTrue(s > 0 && g > 0, x.toString());
            assertEquals(g / s, x.get("gflops").getAsDouble(), 1e-9 * g / s);
            assertEquals(100 * g / s / o.get("peak_gflops").getAsDouble(), x.get("pct_peak").getAsDouble(), 1e-6);
            // where the step went: each family's seconds, the rest, and the matmuls' own FLOPs
            JsonObject k = x.getAsJsonObject("kernel_seconds");
            double families = 0;
            for (String f : new String[] {"matmul", "attention", "layernorm", "activation"}) {
                double v = k.get(f).getAsDouble();
                assertTrue(v > 0, f + " ran: " + k);
                families += v;
            }
            for (String f : new String[] {"data", "update", "metrics"}) {
                double v = k.get(f).getAsDouble();
                // every step makes a batch and updates the weights; only masked variants measure the object share
                // (CLIP's call returns at once, in microseconds)
                assertTrue(f.equals("metrics") && i == 0 ? v < 1e-3 : v > 0, f + " timed: " + k);
                families += v;
            }
            assertTrue(families <= s, "the timed parts fit in the step: " + k + " in " + s + " s");
            assertEquals(s - families, k.get("rest").getAsDouble(), 1e-9);
            // the text tower runs up to the batch's last end of text: the built-in captions are shorter than the
            // tiny preset's context
            int positions = x.get("text_positions").getAsInt();
            int context = aclip4j.tower.Presets.text("tiny", 1000).context();
            assertTrue(positions >= 2 && positions < context, positions + " of " + context + " positions");
            double matmulGflop = x.get("matmul_gflops").getAsDouble() * k.get("matmul").getAsDouble();
            assertTrue(matmulGflop > 0.5 * g && matmulGflop <= g, "matmul GFLOP " + matmulGflop + " of the step's " + g);
            // the Java heap a step allocates: at least its batch's online views, made afresh each step (4 images of
            // 3 x 64 x 64 floats per view, 2 views for the A-CLIP variants); a first step allocates far more (its
            // kernels still run uncompiled, a Vector API call then allocating its vectors)
            double heap = x.get("heap_alloc_bytes").getAsDouble();
            double views = (i == 0 ? 1 : 2) * 4.0 * 3 * 64 * 64 * 4;
            assertTrue(heap >= views, "heap allocated per step " + heap + ", views " + views);
            if (i == 0) {
                clipGflop = g;
                assertEquals(0.0, x.get("masking_seconds").getAsDouble(), 1e-3, "CLIP selects no tokens");
            } else {
                assertTrue(g < 2 * clipGflop, "half the tokens per view: " + g + " vs clip " + clipGflop);
            }
        }
        JsonObject ratios = o.getAsJsonObject("ratios").getAsJsonObject("simd");
        assertEquals(results.get(1).getAsJsonObject().get("seconds").getAsDouble()
                / results.get(0).getAsJsonObject().get("seconds").getAsDouble(),
                ratios.get("aclip_over_clip").getAsDouble(), 1e-9);
        assertTrue(ratios.has("aclip_eff_over_clip"));
        assertTrue(((String) r[1]).contains("| simd | aclip | "), (String) r[1]);
        assertEquals(0.0, results.get(1).getAsJsonObject().get("traffic_bytes").getAsDouble(),
                "the SIMD twin copies nothing into ND4J");
        assertTrue(o.get("nd4j_traffic_bytes_per_step").isJsonNull(), "no nd4j row, no nd4j traffic");
    }

    @Test
    void theNd4jEnginesTrafficIsCountedPerStep() {
        Object[] r = EvalCommandTest.run("bench", "--batch", "2", "--steps", "1", "--warmup", "1", "--threads", "1",
                "--variants", "clip", "--backends", "nd4j", "--json");
        assertEquals(0, r[0], (String) r[2]);
        JsonObject o = EvalCommandTest.lastJson((String) r[1]);
        double bytes = o.get("nd4j_traffic_bytes_per_step").getAsDouble();
        // the resident engine ([3/7]) moves a warm step's inputs (2 views of 3x64x64 floats, 2x32 token ids) and
        // its scalars (4 loss terms, 2 non-finite counts of 8 bytes, the logit scale), never the weights
        assertEquals(4.0 * (2 * 3 * 64 * 64 + 2 * 32) + 16 + 8 + 8 + 4, bytes);
        long weights = tinyClipWeightBytes();
        assertTrue(bytes < weights, bytes + " bytes per step, model " + weights + " bytes");
    }

    /**
     * {@code --interleave}: both backends' rows come from the same alternation of steps, and each variant's paired
     * nd4j / simd ratio lies between the smallest and largest ratio of its steps, printed and in the JSON line.
     */
    @Test
    void interleavedRowsGiveAPairedRatioPerVariant() {
        Object[] r = EvalCommandTest.run("bench", "--batch", "2", "--steps", "3", "--warmup", "1", "--threads", "1",
                "--variants", "clip,aclip", "--backends", "simd,nd4j", "--interleave", "--json");
        assertEquals(0, r[0], (String) r[2]);
        String out = (String) r[1];
        JsonObject o = EvalCommandTest.lastJson(out);
        assertEquals(4, o.getAsJsonArray("results").size(), o.toString());
        JsonObject paired = o.getAsJsonObject("nd4j_over_simd_paired");
        for (String v : new String[] {"clip", "aclip"}) {
            double ratio = paired.get(v).getAsDouble();
            assertTrue(ratio > 0, v + ": " + ratio);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile(v + ": nd4j / simd = ([0-9.]+) \\(median of 3"
                    + " paired steps, ([0-9.]+) to ([0-9.]+)\\)").matcher(out);
            assertTrue(m.find(), out);
            assertEquals(ratio, Double.parseDouble(m.group(1)), 0.005);
            assertTrue(Double.parseDouble(m.group(2)) <= ratio + 0.005 && ratio - 0.005 <= Double.parseDouble(m.group(3)),
                    m.group());
        }
        // without --interleave there is no pairing
        Object[] plain = EvalCommandTest.run("bench", "--batch", "2", "--steps", "1", "--warmup", "0", "--threads", "1",
                "--variants", "clip", "--json");
        assertEquals(0, EvalCommandTest.lastJson((String) plain[1]).getAsJsonObject("nd4j_over_simd_paired").size());
    }

    @Test
    void aPeakBelowWhatTheMatmulsReachedIsNamed() {
        // matmuls at 150 GFLOP/s (300 GFLOP in 2 s) against ceilings of 149 and 151
        var k = new BenchCommand.Kernels(2.0, 0.5, 0.1, 0.1, 300.0);
        var rows = java.util.List.of(new BenchCommand.Row("pytorch", "clip", 3.0, 400.0, 0, 0, k),
                new BenchCommand.Row("simd", "aclip", 3.0, 400.0, 0, 0, k));
        String w = BenchCommand.implausiblePeak(rows, 149.0);
        assertTrue(w != null && w.contains("aclip step's matmuls ran at 150.0 GFLOP/s") && w.contains("149.0"), w);
        assertEquals(null, BenchCommand.implausiblePeak(rows, 151.0));
        // the peer's rows are not the kernels' (its own matmuls are not timed by KernelTimes)
        assertEquals(null, BenchCommand.implausiblePeak(rows.subList(0, 1), 149.0));
    }

    private static long tinyClipWeightBytes() {
        var v = aclip4j.tower.Presets.vision("tiny");
        // vision blocks alone: 12 D^2 per block (qkv 3, proj 1, MLP 8), float32
        return 4L * 12 * v.width() * v.width() * v.depth();
    }
}
