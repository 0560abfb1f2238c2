package aclip4j.train.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import aclip4j.kernel.Parallel;
import aclip4j.nd.Traffic;
import aclip4j.tensor.Tensor;
import aclip4j.train.Checkpoint;
import aclip4j.train.TrainConfig;
import aclip4j.train.Trainer;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The resident ND4J engine ([3/7]) against the SIMD step, its host↔ND4J traffic, and resume. */
class Nd4jStepEngineTest {
    @TempDir
    Path dir;

    private final PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

    /** The trainer tests' small config, without warm-up and with a smaller held-out set. */
    static TrainConfig config(String... extra) {
        List<String> args = new ArrayList<>(List.of("--warmup", "0", "--eval-images", "8"));
        args.addAll(List.of(extra));
        return aclip4j.train.TrainerTest.config(args.toArray(new String[0]));
    }

    private static List<JsonObject> metrics(Path run) throws IOException {
        List<JsonObject> rows = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"), StandardCharsets.UTF_8)) {
            rows.add(JsonParser.parseString(line).getAsJsonObject());
        }
        return rows;
    }

    private List<List<JsonObject>> twoRuns(String name, String... extra) throws IOException {
        List<List<JsonObject>> rows = new ArrayList<>();
        for (String backend : List.of("simd", "nd4j")) {
            List<String> args = new ArrayList<>(List.of("--variant", "aclip", "--steps", "2", "--backend", backend));
            args.addAll(List.of(extra));
            Path run = dir.resolve(name + "-" + backend);
            Trainer.start(config(args.toArray(new String[0])), run, quiet).run(2);
            rows.add(metrics(run));
        }
        return rows;
    }

    /**
     * Tiny A-CLIP (two attentive views, SimCLR, BYOL, EMA), two steps at lr 2e-3 from step 0 (no warm-up), on each
     * engine: every loss term of both steps within 1e-4 relative (step 1: the same weights and batch; step 2: after
     * one AdamW update, one EMA update and a §5 selection from the updated EMA tower), and the same kept tokens
     * (the logged share of the object they hold, to 1e-12). Also with two micro-batches per step (gradients
     * accumulated, BatchNorm statistics carried between them) and as A-CLIP-eff (EMA view at S/2, positions
     * resampled in the EMA graph, §1.7).
     */
    @ParameterizedTest
    @ValueSource(strings = {"--variant aclip", "--variant aclip --accum 2", "--variant aclip-eff"})
    void residentStepLossesAgreeWithTheSimdStep(String options) throws IOException {
        Parallel.setThreads(2);
        List<List<JsonObject>> r = twoRuns("losses", options.split(" "));
        List<JsonObject> a = r.get(0), b = r.get(1);
        assertEquals(2, b.size());
        for (int i = 0; i < 2; i++) {
            for (String k : List.of("loss", "clip_loss", "ssl_loss", "byol_loss", "logit_scale", "object_kept")) {
                double x = a.get(i).get(k).getAsDouble(), y = b.get(i).get(k).getAsDouble();
                assertTrue(x != 0, k + " is a real term here");
                assertEquals(x, y, (k.equals("object_kept") ? 1e-12 : 1e-4) * Math.max(1, Math.abs(x)),
                        options + ": step " + (i + 1) + " " + k);
            }
        }
    }

    /**
     * The text tower of a training graph runs the batch's positions up to its longest caption: with a step of 1
     * ({@code -Daclip4j.nd4j.text-step=1}) exactly the positions the SIMD text tower runs (the metrics log the same
     * count, under the context of 32), and the losses of three tiny A-CLIP steps agree with the SIMD run's within
     * 1e-4 relative. Each new length builds a graph; at most two stay built. A step of 0 is refused, named.
     */
    @Test
    void trainingGraphsRunTheTextPositionsUpToTheLongestCaption() throws IOException {
        Parallel.setThreads(2);
        Map<String, List<JsonObject>> rows = new HashMap<>();
        Nd4jStepEngine engine = null;
        System.setProperty(Nd4jStepEngine.TEXT_STEP_PROPERTY, "1");
        try {
            for (String backend : List.of("simd", "nd4j")) {
                Path run = dir.resolve("text-" + backend);
                Trainer t = Trainer.start(config("--variant", "aclip", "--steps", "3", "--backend", backend), run, quiet);
                t.run(3);
                rows.put(backend, metrics(run));
                if (t.engine() instanceof Nd4jStepEngine e) {
                    engine = e;
                }
            }
        } finally {
            System.clearProperty(Nd4jStepEngine.TEXT_STEP_PROPERTY);
        }
        java.util.Set<Integer> lengths = new java.util.HashSet<>();
        for (int i = 0; i < 3; i++) {
            JsonObject a = rows.get("simd").get(i), b = rows.get("nd4j").get(i);
            int positions = a.get("text_positions").getAsInt();
            assertTrue(positions < 32, "step " + (i + 1) + " runs " + positions + " of 32 positions");
            assertEquals(positions, b.get("text_positions").getAsInt(), "step " + (i + 1) + ": text positions");
            lengths.add(positions);
            for (String k : List.of("loss", "clip_loss", "ssl_loss", "byol_loss")) {
                double x = a.get(k).getAsDouble(), y = b.get(k).getAsDouble();
                assertEquals(x, y, 1e-4 * Math.max(1, Math.abs(x)), "step " + (i + 1) + " " + k);
            }
        }
        java.util.Set<List<Object>> shapes = engine.trainGraphShapes();
        assertTrue(!shapes.isEmpty() && shapes.size() <= Math.min(2, lengths.size()), "graphs kept: " + shapes);
        for (List<Object> shape : shapes) {
            assertTrue(lengths.contains((Integer) shape.get(2)), shape + " runs a length the batches had: " + lengths);
        }
        System.setProperty(Nd4jStepEngine.TEXT_STEP_PROPERTY, "0");
        try {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> Trainer.start(config("--backend", "nd4j"), dir.resolve("bad-step"), quiet));
            assertTrue(e.getMessage().contains("aclip4j.nd4j.text-step=0"), e.getMessage());
        } finally {
            System.clearProperty(Nd4jStepEngine.TEXT_STEP_PROPERTY);
        }
    }

    /**
     * The state after two steps (BYOL off: its predictor has ReLU inputs within float32 rounding of 0, where one
     * flipped ReLU moves the head gradients by percents without either twin being wrong; see TrainerTest's parity
     * test), lr 2e-3 from step 0. Every weight, EMA weight and moment element within 1e-6 + 1e-4·|w|, except at most
     * 1 % of a tensor's elements; and tensors whose exact gradient is 0 (key biases: the softmax ignores a shift
     * shared by all keys; the SimCLR head's Linear biases before a BatchNorm) hold rounding noise, which AdamW's first
     * steps turn into ±lr moves: for them, and everywhere, at most 2 lr per update apart. BatchNorm running buffers
     * within 1e-4 relative, plus 0.1·4 lr where a noisy bias feeds the mean. The weights did move: most qkv weights by more than lr/2.
     */
    @Test
    void residentStateAgreesWithTheSimdStateAfterTwoUpdates() throws IOException {
        Parallel.setThreads(2);
        twoRuns("state", "--byol", "off");
        Map<String, Tensor> ws = Checkpoint.load(Checkpoint.lastFile(dir.resolve("state-simd"))).tensors();
        Map<String, Tensor> wn = Checkpoint.load(Checkpoint.lastFile(dir.resolve("state-nd4j"))).tensors();
        assertEquals(ws.keySet(), wn.keySet(), "the same safetensors names as the SIMD path");
        double lr = 2e-3;
        int strict = 0;
        for (String name : ws.keySet()) {
            float[] x = ws.get(name).floats(), y = wn.get(name).floats();
            assertEquals(x.length, y.length, name);
            if (name.contains("running_")) {
                for (int j = 0; j < x.length; j++) {
                    // + the refresh (momentum 0.1) of a mean shifted by a noisy bias above (at most 4 lr apart)
                    assertEquals(x[j], y[j], 1e-4 * Math.max(1, Math.abs(x[j])) + 0.1 * 4 * lr, name + "[" + j + "]");
                }
                continue;
            }
            int noisy = 0;
            double worst = 0;
            for (int j = 0; j < x.length; j++) {
                double d = Math.abs((double) x[j] - y[j]);
                worst = Math.max(worst, d);
                if (d > 1e-6 + 1e-4 * Math.abs(x[j])) {
                    noisy++;
                }
            }
            assertTrue(worst <= 2 * 2 * lr + 1e-6, name + ": largest difference " + worst);
            boolean zeroGradient = name.endsWith("qkv.bias") || name.endsWith("in_proj_bias")
                    || name.endsWith("image_mlp.layer1.bias") || name.endsWith("image_mlp.layer2.bias");
            if (!zeroGradient) {
                assertTrue(noisy <= Math.max(1, 0.01 * x.length), name + ": " + noisy + " of " + x.length
                        + " elements differ by more than 1e-6 + 1e-4 |w|");
                strict++;
            }
        }
        assertTrue(strict > 100, "tensors compared element by element: " + strict);
        float[] before = Trainer.start(config("--variant", "aclip", "--steps", "2", "--byol", "off"),
                dir.resolve("init"), quiet).model().online.get("blocks.0.attn.qkv.weight").floats();
        float[] after = wn.get("blocks.0.attn.qkv.weight").floats();
        int changed = 0;
        for (int j = 0; j < before.length; j++) {
            if (Math.abs(after[j] - before[j]) > 0.5 * lr) {
                changed++;
            }
        }
        assertTrue(changed > before.length / 2, changed + " of " + before.length + " qkv weights moved by > lr/2");
    }

    /**
     * After a warm-up step, a step moves exactly its inputs into ND4J — online views, the EMA view, token ids and
     * kept-token indices (int32) — and reads back exactly the EMA score map (for §5 selection on the host, attentive
     * variants only), four loss terms per micro-batch, two non-finite counts (8 bytes each) and the clamped logit
     * scale. No weight, gradient or moment crosses. The noise and boxes never leave the host.
     */
    @Test
    void aStepMovesOnlyItsInputsAndScalars() throws IOException {
        Parallel.setThreads(2);
        int B = 8, S = 64, ctx = 32, kept = 9 * 4; // tiny: 4x4 cells of 2x2 patches, 9 cells kept per view
        long scalarsOut = 16 + 8 + 8 + 4;
        // A-CLIP: two views, EMA view at S, scores [B, 8*8]
        assertTraffic(config("--variant", "aclip", "--steps", "3", "--backend", "nd4j"), "aclip",
                4L * (2L * B * 3 * S * S + B * 3 * S * S + B * ctx + 2L * B * kept), 4L * B * 64 + scalarsOut);
        // A-CLIP-eff: the EMA view at S/2, scores [B, 4*4]
        assertTraffic(config("--variant", "aclip-eff", "--steps", "3", "--backend", "nd4j"), "aclip-eff",
                4L * (2L * B * 3 * S * S + B * 3 * 32 * 32 + B * ctx + 2L * B * kept), 4L * B * 16 + scalarsOut);
        // CLIP: one view keeping every token (its indices are built in ND4J once), no EMA, no scores
        assertTraffic(config("--variant", "clip", "--steps", "3", "--backend", "nd4j"), "clip",
                4L * (B * 3 * S * S + B * ctx), scalarsOut);
        // two micro-batches of 4: inputs and per-micro-batch scalars twice, per-step scalars once
        int b = 4;
        assertTraffic(config("--variant", "aclip", "--steps", "3", "--accum", "2", "--backend", "nd4j"), "accum",
                2 * 4L * (2L * b * 3 * S * S + b * 3 * S * S + b * ctx + 2L * b * kept),
                2 * (4L * b * 64 + 16) + 8 + 8 + 4);
    }

    private void assertTraffic(TrainConfig cfg, String name, long in, long out) throws IOException {
        // every batch runs the whole context of 32 positions, whatever its captions' lengths
        System.setProperty(Nd4jStepEngine.TEXT_STEP_PROPERTY, "32");
        Trainer t;
        try {
            t = Trainer.start(cfg, dir.resolve(name), quiet);
        } finally {
            System.clearProperty(Nd4jStepEngine.TEXT_STEP_PROPERTY);
        }
        t.benchStep(); // uploads the state and builds the graphs
        long in0 = Traffic.toNd4j(), out0 = Traffic.fromNd4j();
        t.benchStep();
        long movedIn = Traffic.toNd4j() - in0, movedOut = Traffic.fromNd4j() - out0;
        assertEquals(in, movedIn, name + ": bytes into ND4J per step");
        assertEquals(out, movedOut, name + ": bytes out of ND4J per step");
        assertEquals(in + out, Nd4jStepEngine.stepTraffic(t.model(), Trainer.settings(cfg, t.model().vision,
                t.emaImageSize()), cfg.batch() / cfg.accum(), cfg.accum(), 32), name + ": the documented accounting");
    }

    /**
     * The compiled step ({@link CompiledExecution}: each graph's first SameDiff execution recorded and replayed op by
     * op) gives the bits SameDiff's own executions give: three steps of tiny A-CLIP (two views, EMA graph, BYOL,
     * SimCLR) and of CLIP with two micro-batches, once compiled and once with {@code -Daclip4j.nd4j.compile=false},
     * every tensor of the last checkpoint (weights, EMA, moments) and every loss identical.
     */
    @ParameterizedTest
    @ValueSource(strings = {"--variant aclip", "--variant clip --accum 2"})
    void theCompiledStepGivesSameDiffsBits(String options) throws IOException {
        Parallel.setThreads(2);
        Map<String, Path> runs = new HashMap<>();
        for (String compile : List.of("true", "false")) {
            List<String> args = new ArrayList<>(List.of("--steps", "3", "--backend", "nd4j"));
            args.addAll(List.of(options.split(" ")));
            Path run = dir.resolve("compile-" + compile);
            System.setProperty(StepGraphs.COMPILE_PROPERTY, compile);
            try {
                Trainer t = Trainer.start(config(args.toArray(new String[0])), run, quiet);
                t.run(Long.MAX_VALUE);
                assertEquals(compile.equals("true"), ((Nd4jStepEngine) t.engine()).allCompiled(),
                        "graphs compiled: " + compile);
            } finally {
                System.clearProperty(StepGraphs.COMPILE_PROPERTY);
            }
            runs.put(compile, run);
        }
        Map<String, Tensor> a = Checkpoint.load(Checkpoint.lastFile(runs.get("true"))).tensors();
        Map<String, Tensor> b = Checkpoint.load(Checkpoint.lastFile(runs.get("false"))).tensors();
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) {
            assertArrayEquals(b.get(k).floats(), a.get(k).floats(), options + ": " + k);
        }
        List<JsonObject> x = metrics(runs.get("true")), y = metrics(runs.get("false"));
        for (int i = 0; i < 3; i++) {
            for (String k : List.of("loss", "clip_loss", "ssl_loss", "byol_loss")) {
                assertEquals(y.get(i).get(k).getAsDouble(), x.get(i).get(k).getAsDouble(), options + " step " + i + " " + k);
            }
        }
    }

    /**
     * After the first step a step allocates no native memory: the graphs create no new op-output array (their
     * arenas hand out the arrays of the first execution, and the compiled replays allocate nothing), and the step's
     * own temporaries fit the workspace its first step sized. Also with two micro-batches and for A-CLIP-eff.
     */
    @ParameterizedTest
    @ValueSource(strings = {"--variant aclip", "--variant aclip --accum 2", "--variant aclip-eff"})
    void aSteadyStateStepAllocatesNothingNew(String options) throws IOException {
        Parallel.setThreads(2);
        List<String> args = new ArrayList<>(List.of("--steps", "6", "--backend", "nd4j"));
        args.addAll(List.of(options.split(" ")));
        // text positions in steps of the whole context: one graph shape whatever the captions' lengths (a batch of
        // shorter captions would otherwise build its own graph, which is new arrays by design)
        System.setProperty(Nd4jStepEngine.TEXT_STEP_PROPERTY, "32");
        Trainer t;
        try {
            t = Trainer.start(config(args.toArray(new String[0])), dir.resolve("steady"), quiet);
        } finally {
            System.clearProperty(Nd4jStepEngine.TEXT_STEP_PROPERTY);
        }
        Nd4jStepEngine engine = (Nd4jStepEngine) t.engine();
        t.benchStep();
        t.benchStep();
        long arrays = engine.graphArrays(), workspace = engine.stepWorkspaceBytes();
        assertTrue(engine.allCompiled(), "every graph runs compiled after its first execution");
        assertTrue(arrays > 100 && workspace > 0, arrays + " graph arrays, " + workspace + " workspace bytes");
        for (int i = 0; i < 3; i++) {
            t.benchStep();
            assertEquals(arrays, engine.graphArrays(), options + ": graph arrays after step " + (i + 3));
            assertEquals(workspace, engine.stepWorkspaceBytes(), options + ": step workspace after step " + (i + 3));
        }
    }

    /**
     * {@code -Daclip4j.nd4j.profile=FILE}: the training graph's ops of each execution land in FILE as Chrome trace
     * events, forward ops and their backward ops alike, each with a duration.
     */
    @Test
    void theProfilePropertyWritesOneTraceEventPerExecutedOp() throws IOException {
        Path trace = dir.resolve("ops.json");
        System.setProperty(StepGraphs.Train.PROFILE_PROPERTY, trace.toString());
        Trainer t;
        try {
            t = Trainer.start(config("--variant", "clip", "--steps", "2", "--backend", "nd4j"), dir.resolve("prof"),
                    quiet);
            t.benchStep(); // builds the graph while the property is set
        } finally {
            System.clearProperty(StepGraphs.Train.PROFILE_PROPERTY);
        }
        t.benchStep();
        String text = Files.readString(trace, StandardCharsets.UTF_8).strip();
        // the listener appends events and closes the array only at shutdown
        text = text.endsWith("]") ? text : text.replaceAll(",\\s*$", "") + "]";
        JsonArray events = JsonParser.parseString(text).getAsJsonArray();
        Map<String, Integer> ops = new HashMap<>();
        for (var e : events) {
            JsonObject o = e.getAsJsonObject();
            if (o.has("ph") && o.get("ph").getAsString().equals("X")) {
                assertTrue(o.get("dur").getAsLong() >= 0, "an op event has a duration");
                ops.merge(o.get("name").getAsString(), 1, Integer::sum);
            }
        }
        // two executions of one graph run the same ops, so every op's count is even
        ops.forEach((op, n) -> assertEquals(0, n % 2, op + " ran " + n + " times in two executions"));
        assertTrue(ops.getOrDefault("matmul", 0) > 0 && ops.getOrDefault("matmul_bp", 0) > 0,
                "products forward and backward: " + ops.keySet());
        assertTrue(ops.containsKey("softmax_bp"), "attention backward is traced: " + ops.keySet());
    }

    /**
     * {@code --resume} on the resident engine: two steps, a checkpoint, a new process state from it (weights, EMA,
     * moments and step counts uploaded again), two more steps: the same bits as four steps straight, at one
     * ND4J thread count.
     */
    @Test
    void resumeContinuesWithTheSameBits() throws IOException {
        Parallel.setThreads(2);
        TrainConfig cfg = config("--variant", "aclip", "--steps", "4", "--checkpoint-every", "2", "--backend", "nd4j");
        Path straight = dir.resolve("straight"), split = dir.resolve("split");
        Trainer.start(cfg, straight, quiet).run(Long.MAX_VALUE);
        Trainer.start(cfg, split, quiet).run(2);
        Trainer resumed = Trainer.resume(split, quiet);
        assertEquals(2, resumed.step());
        resumed.run(Long.MAX_VALUE);
        Map<String, Tensor> a = Checkpoint.load(Checkpoint.lastFile(straight)).tensors();
        Map<String, Tensor> b = Checkpoint.load(Checkpoint.lastFile(split)).tensors();
        assertEquals(a.keySet(), b.keySet());
        assertTrue(a.keySet().stream().anyMatch(k -> k.startsWith(Checkpoint.EXP_AVG_SQ)), "moments checkpointed");
        for (String k : a.keySet()) {
            assertArrayEquals(a.get(k).floats(), b.get(k).floats(), k + " differs after resume");
        }
        List<JsonObject> s = metrics(straight), r = metrics(split);
        assertEquals(4, r.size());
        for (int i = 0; i < 4; i++) {
            assertEquals(s.get(i).get("loss").getAsDouble(), r.get(i).get("loss").getAsDouble(), "loss of step " + (i + 1));
        }
    }

    /**
     * The numerical guard on the resident state (CLIP: no EMA score map, whose §5 input check would refuse the
     * NaN first, as on the host path): at lr 1e30 the first AdamW update moves weights by about 1e30, the
     * next forward overflows, and the run stops before updating, with one line naming the step and the last good
     * checkpoint; the checkpoint on disk and metrics.jsonl hold only the good steps.
     */
    @Test
    void aNonFiniteStepStopsTheResidentRunBeforeTheUpdate() throws IOException {
        Parallel.setThreads(2);
        Path run = dir.resolve("nan");
        Trainer t = Trainer.start(config("--variant", "clip", "--steps", "4", "--lr", "1e30", "--checkpoint-every", "1",
                "--backend", "nd4j"), run, quiet);
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> t.run(Long.MAX_VALUE));
        String m = e.getMessage();
        assertTrue(m.startsWith("non-finite values at step "), m);
        assertTrue(m.contains(Checkpoint.lastFile(run).toString()) && !m.contains("\n"), m);
        int failed = Integer.parseInt(m.substring("non-finite values at step ".length()).split(":")[0]);
        assertTrue(failed >= 2, m);
        assertEquals(failed - 1, metrics(run).size(), "no metrics row for the failed step");
        assertEquals(failed - 1, Checkpoint.load(Checkpoint.lastFile(run)).step());
    }
}
