package aclip4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import aclip4j.cli.TrainCommand;
import aclip4j.tensor.Tensor;
import aclip4j.kernel.Parallel;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** End-to-end training on the built-in scenes with the tiny model (SPEC §10 variants). */
public class TrainerTest {
    @TempDir
    Path dir;

    private final PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

    /** A config as the command line builds it, small enough for a unit test. */
    public static TrainConfig config(String... extra) {
        List<String> args = new ArrayList<>(List.of("--steps", "20", "--batch", "8", "--lr", "2e-3", "--warmup", "2",
                "--train-images", "64", "--eval-images", "16", "--checkpoint-every", "10", "--m0", "0.9",
                "--threads", "2"));
        args.addAll(List.of(extra));
        TrainCommand t = new TrainCommand();
        new CommandLine(t).setOverwrittenOptionsAllowed(true).parseArgs(args.toArray(new String[0]));
        return t.config();
    }

    static List<JsonObject> metrics(Path run) throws IOException {
        List<JsonObject> rows = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            rows.add(JsonParser.parseString(line).getAsJsonObject());
        }
        return rows;
    }

    static double mean(List<JsonObject> rows, String key, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += rows.get(i).get(key).getAsDouble();
        }
        return s / (to - from);
    }

    @ParameterizedTest
    @ValueSource(strings = {"clip", "clip-random", "aclip-attn", "aclip", "aclip-eff"})
    void twentyStepsLowerTheLoss(String variant) throws IOException {
        TrainConfig cfg = config("--variant", variant);
        Parallel.setThreads(cfg.threads());
        Path run = dir.resolve(variant);
        Trainer t = Trainer.start(cfg, run, quiet);
        t.run(Long.MAX_VALUE);
        List<JsonObject> rows = metrics(run);
        assertEquals(20, rows.size());
        for (int i = 0; i < rows.size(); i++) {
            JsonObject r = rows.get(i);
            assertEquals(i + 1, r.get("step").getAsInt());
            for (String k : List.of("loss", "clip_loss", "ssl_loss", "byol_loss", "lr", "logit_scale", "kept_tokens", "text_positions", "seconds")) {
                assertTrue(r.has(k), "metrics row lacks " + k + ": " + r);
            }
        }
        // the CLIP term is the one every variant shares; it must fall well below its start
        double first = mean(rows, "clip_loss", 0, 3);
        double last = mean(rows, "clip_loss", 17, 20);
        assertTrue(last < first - 0.05, variant + ": clip loss " + first + " -> " + last);
        double loss0 = mean(rows, "loss", 0, 3);
        double loss1 = mean(rows, "loss", 17, 20);
        assertTrue(loss1 < loss0, variant + ": total loss " + loss0 + " -> " + loss1);
        int N = 64; // tiny: 64 px views, 8 px patches
        int kept = rows.get(0).get("kept_tokens").getAsInt();
        if (variant.equals("clip")) {
            assertEquals(N, kept);
        } else {
            assertEquals(36, kept, "two views keep floor(16/2)+1 = 9 cells of 2x2 patches");
        }
        if (variant.equals("aclip") || variant.equals("aclip-eff")) {
            assertTrue(rows.get(0).get("ssl_loss").getAsDouble() > 0 && rows.get(0).get("byol_loss").getAsDouble() > 0);
        } else {
            assertEquals(0.0, rows.get(0).get("ssl_loss").getAsDouble());
            assertEquals(0.0, rows.get(0).get("byol_loss").getAsDouble());
        }
        assertTrue(Files.exists(Checkpoint.stepFile(run, 10)));
        assertTrue(Files.exists(Checkpoint.stepFile(run, 20)));
        Checkpoint ck = Checkpoint.load(Checkpoint.lastFile(run));
        assertEquals(20, ck.step());
        assertTrue(ck.tensors().containsKey("blocks.0.attn.qkv.weight"));
        assertEquals(cfg.variant().ema, ck.tensors().containsKey("ema.blocks.0.attn.qkv.weight"));
        assertTrue(ck.tensors().containsKey("optim.exp_avg.token_embedding.weight"));
        float ls = ck.tensors().get(Model.LOGIT_SCALE).floats()[0];
        assertTrue(Math.abs(ls - Model.LOGIT_SCALE_INIT) > 1e-4, "the logit scale is trained: " + ls);
    }

    @Test
    void theLogitScaleIsClampedToZeroAndLnHundred() {
        for (float[] c : new float[][] {{10f, (float) Math.log(100)}, {-1f, 0f}, {2f, 2f}, {4.6f, 4.6f}}) {
            Map<String, Tensor> w = new java.util.HashMap<>(Map.of(Model.LOGIT_SCALE, Tensor.f32(new float[] {c[0]})));
            assertEquals(c[1], Trainer.clampLogitScale(w), 0f, "clamp(" + c[0] + ")");
            assertEquals(c[1], w.get(Model.LOGIT_SCALE).floats()[0], 0f, "written back");
        }
    }

    @Test
    void aFailingEvaluationKeepsItsStepsLineAndCheckpoint() throws IOException {
        Parallel.setThreads(2);
        Path data = dir.resolve("pictures");
        Files.createDirectories(data.resolve("train"));
        Files.createDirectories(data.resolve("test"));
        List<String> lines = new ArrayList<>();
        for (int k = 0; k < 8; k++) {
            java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(20, 20,
                    java.awt.image.BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 20; y++) {
                for (int x = 0; x < 20; x++) {
                    img.setRGB(x, y, (k * 30 + x * 9) << 16 | (y * 11) << 8 | (k * 7 + x + y));
                }
            }
            assertTrue(javax.imageio.ImageIO.write(img, "png", data.resolve("train/" + k + ".png").toFile()));
            lines.add(k + ".png\ta picture with the number " + k);
        }
        Files.write(data.resolve("train/captions.tsv"), lines, StandardCharsets.UTF_8);
        Files.write(data.resolve("test/broken.png"), "not a picture".getBytes(StandardCharsets.UTF_8));
        Files.write(data.resolve("test/captions.tsv"), List.of("broken.png\ta broken picture"), StandardCharsets.UTF_8);
        Path run = dir.resolve("broken-eval");
        Trainer t = Trainer.start(config("--data", "folder:" + data, "--steps", "2", "--eval-every", "2",
                "--train-images", "8", "--eval-images", "1", "--batch", "4"), run, quiet);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.run(Long.MAX_VALUE));
        assertTrue(e.getMessage().contains("broken.png"), e.getMessage());
        assertEquals(2, RunState.load(Checkpoint.lastFile(run)).checkpoint().step(),
                "the trained steps are on disk although their evaluation failed");
        List<JsonObject> rows = metrics(run);
        assertEquals(2, rows.size(), "a line for each trained step, the failed evaluation's step too");
        assertEquals(2, rows.get(1).get("step").getAsInt());
        assertTrue(!rows.get(1).has("eval_zero_shot_top1") && rows.get(1).has("loss"), rows.get(1).toString());
    }

    /**
     * A step's metrics line is on disk before its checkpoint is written: a checkpoint that cannot be written (a
     * non-empty folder where its file goes) stops the run with the step's line already logged, as a kill between the
     * two would leave it (a resume cuts the log back to the checkpoint; the other order loses the line for good).
     */
    @Test
    void aStepsMetricsLineIsWrittenBeforeItsCheckpoint() throws IOException {
        Parallel.setThreads(2);
        Path run = dir.resolve("line-first");
        Trainer t = Trainer.start(config("--variant", "clip", "--steps", "4", "--checkpoint-every", "2"), run, quiet);
        Files.createDirectories(Checkpoint.stepFile(run, 2).resolve("blocker"));
        assertThrows(IOException.class, () -> t.run(Long.MAX_VALUE));
        List<JsonObject> rows = metrics(run);
        assertEquals(2, rows.size(), rows.toString());
        assertEquals(2, rows.get(1).get("step").getAsInt());
    }

    @Test
    void evaluationRunsInCallsNoLargerThanTheTrainingMicroBatchWithTheSameReport() throws IOException {
        assertEquals(8, Trainer.evalBatch(config("--batch", "32", "--accum", "4")));
        assertEquals(32, Trainer.evalBatch(config("--batch", "64")));
        assertEquals(5, Trainer.evalBatch(config("--batch", "5")));
        assertEquals(1, Trainer.evalBatch(config("--variant", "clip", "--batch", "6", "--accum", "6")));
        // the call size changes no bit of the report: every image's and caption's features are its own
        Parallel.setThreads(2);
        Trainer t = Trainer.start(config("--variant", "aclip", "--steps", "2", "--batch", "8", "--accum", "2"),
                dir.resolve("eval-calls"), quiet);
        t.run(Long.MAX_VALUE);
        aclip4j.eval.Evaluator.Report inCallsOf4 = t.evaluate(13);
        aclip4j.eval.Evaluator.Report whole = aclip4j.eval.Evaluator.evaluate(t.components().vision(),
                t.components().text(), t.model().evalWeights(true), t.model().vision.imageSize(),
                t.model().vision.embed(), t.heldOut(), t.tokenizer(), 13, 13, "ema");
        assertEquals(whole, inCallsOf4);
        assertTrue(whole.i2tR10() > 0, "a report with something in it: " + whole);
    }

    @Test
    void aNonFiniteValueStopsTheRunNamingStepTermAndTensorAndKeepsTheLastGoodCheckpoint() throws IOException {
        Parallel.setThreads(2);
        Path run = dir.resolve("nan");
        Trainer t = Trainer.start(config("--variant", "aclip", "--steps", "4", "--checkpoint-every", "1"), run, quiet);
        t.run(2);
        byte[] good = Files.readAllBytes(Checkpoint.lastFile(run));
        t.model().online.get("blocks.0.attn.qkv.weight").floats()[5] = Float.NaN; // the injected fault
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.run(Long.MAX_VALUE));
        String m = e.getMessage();
        assertTrue(m.startsWith("non-finite values at step 3: weight blocks.0.attn.qkv.weight (element 5 is NaN)"), m);
        assertTrue(m.contains(Checkpoint.lastFile(run).toString()), m);
        assertTrue(!m.contains("\n"), "one line: " + m);
        assertArrayEquals(good, Files.readAllBytes(Checkpoint.lastFile(run)), "the last good checkpoint is untouched");
        assertEquals(2, RunState.load(Checkpoint.lastFile(run)).checkpoint().step());
        assertEquals(2, metrics(run).size(), "no metrics row for the failed step");
        assertTrue(Float.isNaN(t.model().online.get("blocks.0.attn.qkv.weight").floats()[5]));
        assertTrue(Float.isFinite(t.model().online.get("blocks.0.attn.qkv.weight").floats()[6]),
                "stopped before the optimiser spread the NaN");
        Trainer.resume(run, quiet).run(Long.MAX_VALUE); // the run goes on from the good state
        assertEquals(4, metrics(run).size());
    }

    @Test
    void theGuardNamesTheLossTermsAndTheFirstBadGradient() throws IOException {
        Trainer t = Trainer.start(config("--variant", "aclip", "--steps", "2"), dir.resolve("guard"), quiet);
        Map<String, Tensor> grads = new java.util.LinkedHashMap<>();
        grads.put("a.weight", Tensor.f32(new float[] {1, 2, 3}, 3));
        grads.put("b.weight", Tensor.f32(new float[] {1, Float.POSITIVE_INFINITY, Float.NaN}, 3));
        grads.put("c.weight", Tensor.f32(new float[] {Float.NaN}, 1));
        t.checkFinite(7, 1.5, 0.5, 0.25, Map.of("a.weight", Tensor.f32(new float[] {1, 2}, 2))); // all finite: passes
        String m = assertThrows(IllegalStateException.class, () -> t.checkFinite(7, 2.0, Double.NaN, 0.1, grads))
                .getMessage();
        assertTrue(m.startsWith("non-finite values at step 7: ssl_loss NaN; first bad tensor: the gradient of b.weight"
                + " (element 1 is Infinity)"), m);
        m = assertThrows(IllegalStateException.class, () -> t.checkFinite(1, 3.0, 0, Double.POSITIVE_INFINITY,
                Map.of("a.weight", Tensor.f32(new float[] {0}, 1)))).getMessage();
        assertTrue(m.startsWith("non-finite values at step 1: byol_loss Infinity, every gradient finite"), m);
    }

    @Test
    void maskWarmupSelectsAtRandomFirstThenByTheEmaScores() throws IOException {
        Parallel.setThreads(2);
        Path run = dir.resolve("warm");
        Trainer.start(config("--variant", "aclip-attn", "--steps", "6", "--mask-warmup", "3"), run, quiet)
                .run(Long.MAX_VALUE);
        List<JsonObject> rows = metrics(run);
        for (int k = 0; k < 6; k++) {
            double kept = rows.get(k).get("object_kept").getAsDouble();
            double random = rows.get(k).get("object_kept_random").getAsDouble();
            if (k < 3) { // the same noise and the random strategy: the very same masks
                assertEquals(random, kept, 0.0, "warm-up step " + (k + 1));
            } else {
                assertTrue(kept != random, "step " + (k + 1) + ": attentive masks differ from random ones");
            }
        }
        assertThrows(IllegalArgumentException.class, () -> config("--variant", "clip-random", "--mask-warmup", "2"));
        assertThrows(IllegalArgumentException.class, () -> config("--variant", "aclip", "--mask-warmup", "21"));
    }

    @Test
    void initStartsFromAStateDictStrictly() throws IOException {
        Parallel.setThreads(2);
        Path first = dir.resolve("first");
        Trainer.start(config("--variant", "aclip", "--steps", "2"), first, quiet).run(Long.MAX_VALUE);
        Checkpoint ck = Checkpoint.load(Checkpoint.lastFile(first));
        // a plain state dict, as reference/export_state_dict.py writes: online weights only, no aclip4j metadata
        Path sd = dir.resolve("state_dict.safetensors");
        aclip4j.tensor.Safetensors.write(sd, ck.online(), Map.of());
        Trainer t = Trainer.start(config("--variant", "aclip", "--steps", "2", "--init", sd.toString()),
                dir.resolve("second"), quiet);
        for (Map.Entry<String, Tensor> e : ck.online().entrySet()) {
            assertArrayEquals(e.getValue().floats(), t.model().online.get(e.getKey()).floats(), e.getKey());
            if (t.model().ema.containsKey(e.getKey())) {
                assertArrayEquals(e.getValue().floats(), t.model().ema.get(e.getKey()).floats(), "ema." + e.getKey());
            }
        }
        assertEquals(0, t.step(), "a new run: step 0, fresh optimiser moments");
        // the whole checkpoint works too (its online part)
        Trainer.start(config("--variant", "aclip", "--steps", "2", "--init", Checkpoint.lastFile(first).toString()),
                dir.resolve("third"), quiet);
        String m = assertThrows(IllegalArgumentException.class, () -> Trainer.start(config("--variant", "clip",
                "--steps", "2", "--init", sd.toString()), dir.resolve("fourth"), quiet)).getMessage();
        assertTrue(m.contains("does not fit this model") && m.contains("unexpected [image_mlp."), m);
        Map<String, Tensor> less = new java.util.LinkedHashMap<>(ck.online());
        less.remove("ln_final.weight");
        less.put("logit_scale", Tensor.f32(new float[] {1, 2}, 2));
        aclip4j.tensor.Safetensors.write(sd, less, Map.of());
        m = assertThrows(IllegalArgumentException.class, () -> Trainer.start(config("--variant", "aclip", "--steps",
                "2", "--init", sd.toString()), dir.resolve("fifth"), quiet)).getMessage();
        assertTrue(m.contains("1 missing [ln_final.weight]") && m.contains("1 of another shape [logit_scale F32[2]"), m);
    }

    @Test
    void nd4jRunsRepeatBitForBitAtOneThreadCount() throws IOException {
        Map<String, Tensor> first = null;
        for (String name : List.of("nd-a", "nd-b")) {
            Path run = dir.resolve(name);
            Trainer.start(config("--variant", "aclip", "--steps", "2", "--backend", "nd4j"), run, quiet)
                    .run(Long.MAX_VALUE);
            Map<String, Tensor> t = Checkpoint.load(Checkpoint.lastFile(run)).tensors();
            if (first == null) {
                first = t;
            } else {
                assertEquals(first.keySet(), t.keySet());
                for (String k : t.keySet()) {
                    assertArrayEquals(first.get(k).floats(), t.get(k).floats(), k);
                }
            }
        }
    }

    @Test
    void configJsonIsStrictAndReadsBackTheSameConfig() throws IOException {
        TrainConfig cfg = config("--variant", "aclip"); // keep left at its default: NaN in memory
        Path run = dir.resolve("strict");
        Trainer.start(cfg, run, quiet);
        String json = Files.readString(run.resolve("config.json"));
        com.google.gson.stream.JsonReader strict = new com.google.gson.stream.JsonReader(new java.io.StringReader(json));
        strict.setStrictness(com.google.gson.Strictness.STRICT);
        JsonObject o = JsonParser.parseReader(strict).getAsJsonObject(); // throws on NaN or Infinity
        assertTrue(o.get("keep").isJsonNull(), "the default keep fraction is null: " + o.get("keep"));
        TrainConfig back = TrainConfig.fromJson(json);
        assertEquals(cfg, back); // records compare NaN keep fields as equal (Double.compare)
        assertEquals(0.5, back.keepFraction());
        TrainConfig explicit = TrainConfig.fromJson(config("--keep", "0.25").toJson());
        assertEquals(0.25, explicit.keepFraction());
        // a config written before --tokenizer existed (and with the old NaN) still loads, with the word tokenizer
        o.remove("tokenizer");
        String old = o.toString().replace("\"keep\":null", "\"keep\":NaN");
        assertTrue(old.contains("NaN"), old);
        assertEquals(aclip4j.data.Tokenizer.Kind.WORDS, TrainConfig.fromJson(old).tokenizer());
        assertTrue(Double.isNaN(TrainConfig.fromJson(old).keep()));
    }

    @Test
    void aRunWithClipsTokenizerSavesAndReloadsIt() throws IOException {
        Parallel.setThreads(2);
        Path run = dir.resolve("bpe");
        Trainer t = Trainer.start(config("--variant", "clip", "--steps", "2", "--tokenizer", "clip"), run, quiet);
        assertTrue(t.tokenizer() instanceof aclip4j.data.ClipBpeTokenizer);
        assertEquals(49408, t.model().online.get("token_embedding.weight").shape()[0], "the text tower reads CLIP's ids");
        t.run(Long.MAX_VALUE);
        RunState.Loaded back = RunState.load(Checkpoint.lastFile(run));
        assertEquals(aclip4j.data.Tokenizer.Kind.CLIP, back.config().tokenizer());
        assertTrue(back.tokenizer() instanceof aclip4j.data.ClipBpeTokenizer);
        assertArrayEquals(t.tokenizer().encode("a red ring at the top."), back.tokenizer().encode("a red ring at the top."));
        assertEquals("clip", back.checkpoint().metadata().get("tokenizer"));
        assertTrue(!back.checkpoint().metadata().containsKey("vocabulary"), "no word list for CLIP's fixed vocabulary");
        Path words = dir.resolve("words");
        Trainer w = Trainer.start(config("--variant", "clip", "--steps", "2"), words, quiet);
        assertTrue(w.tokenizer() instanceof aclip4j.data.WordTokenizer, "the built-in scenes default to their words");
    }

    @Test
    void masksLogTheShareOfTheCaptionedObjectTheyKeep() throws IOException {
        Parallel.setThreads(2);
        Path masked = dir.resolve("masked");
        Trainer.start(config("--variant", "aclip-attn", "--steps", "3"), masked, quiet).run(Long.MAX_VALUE);
        double random = 0;
        List<JsonObject> rows = metrics(masked);
        for (JsonObject row : rows) {
            for (String k : List.of("object_kept", "object_kept_random")) {
                double share = row.get(k).getAsDouble();
                assertTrue(share >= 0 && share <= 1, k + " = " + share + " in " + row);
            }
            random += row.get("object_kept_random").getAsDouble() / rows.size();
        }
        // random cells keep about the kept fraction of any object: 9 of 16 cells (tiny: 4x4 cells of 2x2 patches)
        assertEquals(9 / 16.0, random, 0.15, "mean share of the object under random masks");
        Path clip = dir.resolve("clip");
        Trainer.start(config("--variant", "clip", "--steps", "1", "--warmup", "0"), clip, quiet).run(Long.MAX_VALUE);
        assertTrue(!metrics(clip).get(0).has("object_kept"), "CLIP keeps every token: no share to log");
    }

    @Test
    void resumeAfterTenStepsGivesTheSameBits() throws IOException {
        TrainConfig cfg = config("--variant", "aclip");
        Parallel.setThreads(cfg.threads());
        Path straight = dir.resolve("straight");
        Trainer.start(cfg, straight, quiet).run(Long.MAX_VALUE);

        Path split = dir.resolve("split");
        Trainer.start(cfg, split, quiet).run(10);
        assertEquals(10, Checkpoint.load(Checkpoint.lastFile(split)).step());
        Trainer resumed = Trainer.resume(split, quiet);
        assertEquals(10, resumed.step());
        resumed.run(Long.MAX_VALUE);

        Map<String, Tensor> a = Checkpoint.load(Checkpoint.lastFile(straight)).tensors();
        Map<String, Tensor> b = Checkpoint.load(Checkpoint.lastFile(split)).tensors();
        assertEquals(a.keySet(), b.keySet());
        for (String name : a.keySet()) {
            assertArrayEquals(a.get(name).floats(), b.get(name).floats(), "tensor " + name + " differs after resume");
        }
        List<JsonObject> m = metrics(split);
        assertEquals(20, m.size(), "metrics.jsonl continues without duplicate or missing steps");
        List<JsonObject> s = metrics(straight);
        for (int i = 0; i < 20; i++) {
            assertEquals(s.get(i).get("loss").getAsDouble(), m.get(i).get("loss").getAsDouble(), "loss of step " + (i + 1));
        }
    }

    @Test
    void sameSeedGivesTheSameBitsRunToRun() throws IOException {
        // the first run starts in the interpreter, the second runs JIT-compiled code: the bits must not care
        TrainConfig cfg = config("--variant", "aclip", "--steps", "4");
        Parallel.setThreads(2);
        Trainer.start(cfg, dir.resolve("first"), quiet).run(Long.MAX_VALUE);
        Trainer.start(cfg, dir.resolve("second"), quiet).run(Long.MAX_VALUE);
        Map<String, Tensor> a = Checkpoint.load(Checkpoint.lastFile(dir.resolve("first"))).tensors();
        Map<String, Tensor> b = Checkpoint.load(Checkpoint.lastFile(dir.resolve("second"))).tensors();
        assertEquals(a.keySet(), b.keySet());
        for (String name : a.keySet()) {
            assertArrayEquals(a.get(name).floats(), b.get(name).floats(), name);
        }
    }

    @Test
    void oneAndTwoThreadsGiveTheSameBits() throws IOException {
        TrainConfig cfg = config("--variant", "aclip", "--steps", "3");
        Parallel.setThreads(1);
        Path one = dir.resolve("one");
        Trainer.start(cfg, one, quiet).run(Long.MAX_VALUE);
        Parallel.setThreads(2);
        Path two = dir.resolve("two");
        Trainer.start(cfg, two, quiet).run(Long.MAX_VALUE);
        Map<String, Tensor> a = Checkpoint.load(Checkpoint.lastFile(one)).tensors();
        Map<String, Tensor> b = Checkpoint.load(Checkpoint.lastFile(two)).tensors();
        for (String name : a.keySet()) {
            assertArrayEquals(a.get(name).floats(), b.get(name).floats(), name);
        }
    }

    /**
     * The twins compute the same step, shown in two parts.
     *
     * <p>End to end without BYOL: an all-ND4J and an all-SIMD run of the tiny A-CLIP (two attentive views, SimCLR,
     * EMA tower) agree on the loss terms and on every gradient of the first micro-batch, each tensor relative to its
     * own norm (not weights after AdamW: m/sqrt(v) turns rounding noise on a near-zero gradient into a full step).
     * Tensors whose exact gradient is 0 (key biases: softmax ignores a shift shared by all keys; Linear biases before
     * a BatchNorm) hold only rounding noise, so a tensor's norm is floored at 1e-3 of the whole gradient's.
     *
     * <p>Each head family on identical inputs: the full A-CLIP step on SIMD components, then again with the BYOL heads
     * and loss, the SimCLR head and loss, or the CLIP loss swapped for their ND4J twins. End to end, the BYOL branch
     * cannot be compared this way: its predictor has ReLU inputs within float32 rounding of 0 for some seeds (seed 0,
     * batch 8: one element at -3e-6 on SIMD, +5e-7 on ND4J), and one flipped ReLU moves the head gradients by several
     * percent, without either twin being wrong. Fed the same bits, no input sits that close to the kink.
     */
    @Test
    void simdAndNd4jComputeTheSameLossesAndGradients() throws IOException {
        Parallel.setThreads(2);
        AClipStep.Result[] noByol = new AClipStep.Result[2];
        String[] backends = {"simd", "nd4j"};
        for (int k = 0; k < 2; k++) {
            TrainConfig cfg = config("--variant", "aclip", "--steps", "2", "--byol", "off", "--backend", backends[k]);
            noByol[k] = Trainer.start(cfg, dir.resolve(backends[k]), quiet).probeFirstMicroBatch().get(0);
        }
        AClipStep.Result simd = noByol[0], nd4j = noByol[1];
        assertSameStep("end to end, BYOL off", simd, nd4j, 2e-4);

        Trainer t = Trainer.start(config("--variant", "aclip", "--steps", "2"), dir.resolve("swap"), quiet);
        Model m = t.model();
        Components s = t.components();
        Components n = Components.of(aclip4j.Backend.ND4J, m.vision, t.emaImageSize(), m.text, m.heads,
                aclip4j.kernel.Lanes.preferred());
        Components byol = new Components(s.backend(), s.vision(), s.emaVision(), s.text(), s.simclrHead(),
                n.byolProjector(), n.byolPredictor(), s.clipLoss(), s.simclrLoss(), s.simsiamLoss(), n.byolLoss(),
                s.attentionScore(), s.viewScores(), s.cellPooling(), s.tokenSelector(), s.emaUpdate(), s.adamW());
        Components simclr = new Components(s.backend(), s.vision(), s.emaVision(), s.text(), n.simclrHead(),
                s.byolProjector(), s.byolPredictor(), s.clipLoss(), n.simclrLoss(), s.simsiamLoss(), s.byolLoss(),
                s.attentionScore(), s.viewScores(), s.cellPooling(), s.tokenSelector(), s.emaUpdate(), s.adamW());
        Components clip = new Components(s.backend(), s.vision(), s.emaVision(), s.text(), s.simclrHead(),
                s.byolProjector(), s.byolPredictor(), n.clipLoss(), s.simclrLoss(), s.simsiamLoss(), s.byolLoss(),
                s.attentionScore(), s.viewScores(), s.cellPooling(), s.tokenSelector(), s.emaUpdate(), s.adamW());
        List<AClipStep.Result> r = t.probeFirstMicroBatch(s, byol, simclr, clip);
        assertTrue(r.get(0).byolLoss() > 0 && r.get(0).sslLoss() > 0, "the swap run has SimCLR and BYOL terms");
        assertSameStep("ND4J BYOL heads and loss", r.get(0), r.get(1), 1e-4);
        assertSameStep("ND4J SimCLR head and loss", r.get(0), r.get(2), 1e-4);
        assertSameStep("ND4J CLIP loss", r.get(0), r.get(3), 1e-4);
    }

    /** Loss terms within 1e-4 relative; every gradient within {@code tol} of its own norm (floored, see above). */
    private static void assertSameStep(String what, AClipStep.Result a, AClipStep.Result b, double tol) {
        float[][] losses = {{a.loss(), a.clipLoss(), a.sslLoss(), a.byolLoss()},
                {b.loss(), b.clipLoss(), b.sslLoss(), b.byolLoss()}};
        String[] names = {"loss", "clip_loss", "ssl_loss", "byol_loss"};
        for (int k = 0; k < names.length; k++) {
            assertEquals(losses[0][k], losses[1][k], 1e-4 * Math.max(1, Math.abs(losses[0][k])), what + ": " + names[k]);
        }
        assertEquals(a.grads().keySet(), b.grads().keySet(), what + ": gradient names");
        double total = 0;
        for (Tensor g : a.grads().values()) {
            total += sumSquares(g.floats());
        }
        double scale = Math.sqrt(total);
        assertTrue(scale > 0, what + ": the first step has no gradient at all");
        double worst = 0;
        String worstName = "";
        for (String name : a.grads().keySet()) {
            float[] x = a.grads().get(name).floats();
            float[] y = b.grads().get(name).floats();
            double diff = 0;
            for (int i = 0; i < x.length; i++) {
                double d = (double) x[i] - y[i];
                diff += d * d;
            }
            double rel = Math.sqrt(diff) / Math.max(Math.sqrt(sumSquares(x)), 1e-3 * scale);
            if (rel > worst) {
                worst = rel;
                worstName = name;
            }
        }
        assertTrue(worst < tol, what + ": largest relative gradient difference " + worst + " in " + worstName
                + " (tolerance " + tol + ")");
    }

    private static double sumSquares(float[] x) {
        double s = 0;
        for (float v : x) {
            s += (double) v * v;
        }
        return s;
    }

    @Test
    void refusesToOverwriteARunAndNamesBadOptions() throws IOException {
        TrainConfig cfg = config("--variant", "clip", "--steps", "1", "--warmup", "0");
        Path run = dir.resolve("r");
        Trainer.start(cfg, run, quiet).run(Long.MAX_VALUE);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Trainer.start(cfg, run, quiet));
        assertTrue(e.getMessage().contains("--resume"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> config("--variant", "clip", "--views", "2"));
        assertTrue(e.getMessage().contains("--views 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> config("--variant", "clip-random", "--byol", "on"));
        assertTrue(e.getMessage().contains("no EMA tower"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> config("--variant", "aclip", "--batch", "1"));
        assertTrue(e.getMessage().contains("BatchNorm"), e.getMessage());
    }
}
