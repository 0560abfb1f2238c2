package aclip4j.train.nd4j;

import aclip4j.kernel.Lanes;
import aclip4j.nd.Nd;
import aclip4j.nd.Traffic;
import aclip4j.optim.AdamWOptimizer;
import aclip4j.optim.AdamWScalars;
import aclip4j.optim.Nd4jAdamW;
import aclip4j.ema.Nd4jEmaUpdate;
import aclip4j.tensor.Tensor;
import aclip4j.tower.Nd4jSslHead;
import aclip4j.tower.SslHead;
import aclip4j.train.AClipStep;
import aclip4j.train.Checkpoint;
import aclip4j.train.Components;
import aclip4j.train.Model;
import aclip4j.train.NumericalGuard;
import aclip4j.train.StepEngine;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.longer.MatchCondition;
import org.nd4j.linalg.api.ops.impl.shape.Gather;
import org.nd4j.linalg.api.ops.impl.transforms.segment.UnsortedSegmentSum;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.conditions.Conditions;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The resident ND4J training engine ([3/7]): the {@link StepEngine} of {@code --backend nd4j}. Online weights, EMA
 * weights, the heads' BatchNorm buffers and the AdamW moments are INDArrays for the whole run; a step sends in only
 * its images, token ids and kept-token indices and reads back the EMA score map (for §5 selection on the host) and
 * scalars. The model's {@link Tensor}s are written only by {@link #syncToHost} (checkpoints, evaluation).
 *
 * <p>One step, in {@link AClipStep}'s order: §7 EMA update in place → per micro-batch the {@link StepGraphs.Ema}
 * graph (EMA tower on the full EMA view: §3 scores and the BYOL target, which stays in ND4J) → §5 view scores,
 * cell pooling and selection on the host with the SIMD components (arrays of {@code B*Ge*Ge} floats) → the
 * {@link StepGraphs.Train} graph (both towers on the kept tokens, heads, §6 losses, gradients by SameDiff) → §8
 * AdamW in place ({@link Nd4jAdamW}) → §6 logit-scale clamp. Graphs are built once per micro-batch size and reused.
 *
 * <p>Kept tokens are taken by a gather on indices (§1.3): the patches inside the graph ({@code sd.gather} of the
 * placeholder images, which needs no backward), the position rows and the token-embedding rows by libnd4j's
 * {@code gather} outside autodiff with their gradients scattered back by {@code unsorted_segment_sum}, because
 * SameDiff 1.0.0-M2.1's gather backward is wrong (duplicate indices lose terms, rows land on the wrong index).
 *
 * <p>Host↔ND4J bytes per step ({@link Traffic}), with {@code Bm} images per micro-batch and {@code A} micro-batches:
 * in, per micro-batch, {@code 4·(V·Bm·3·S² + Bm·3·Se² + Bm·ctx + V·Bm·Kt)} (online views, EMA view, token ids,
 * kept-token indices, {@code Kt} tokens kept per view, none without masks); out, per micro-batch, {@code 4·Bm·Ge²} (the score map, only
 * for attentive selection) and 16 (four loss terms); per step 8 + 8 (non-finite counts of the state and of the
 * gradients) and 4 (the clamped logit scale). {@link #stepTraffic} computes it; the noise and boxes stay on the host.
 */
public final class Nd4jStepEngine implements StepEngine {
    private final Model model;
    private final AdamWOptimizer optimizer;
    private final double weightDecay;
    private final Path lastCheckpoint;
    private final Components host;
    private final Nd4jAdamW adamW = new Nd4jAdamW();
    private final Nd4jEmaUpdate emaUpdate = new Nd4jEmaUpdate();

    /** The resident state, by the model's names (null until the first step uploads it). */
    private Map<String, INDArray> online;
    private Map<String, INDArray> ema;
    private final Map<String, INDArray> expAvg = new LinkedHashMap<>();
    private final Map<String, INDArray> expAvgSq = new LinkedHashMap<>();
    private final Map<String, Long> updates = new LinkedHashMap<>();
    /** Whether the model's tensors are older than the resident state. */
    private boolean hostStale;

    private final Map<Integer, StepGraphs.Ema> emaGraphs = new HashMap<>();
    private final Map<List<Object>, StepGraphs.Train> trainGraphs = new HashMap<>();

    /**
     * @param model          the run's model; its tensors are uploaded at the first step (after a resume has
     *                       restored them) and written back by {@link #syncToHost}
     * @param optimizer      the run's host optimiser: its restored moments are uploaded, and {@link #syncToHost}
     *                       writes the resident ones back so checkpoints carry them under the usual names
     * @param lastCheckpoint named in the errors of the numerical guard
     */
    public Nd4jStepEngine(Model model, AdamWOptimizer optimizer, double weightDecay, Path lastCheckpoint) {
        this.model = model;
        this.optimizer = optimizer;
        this.weightDecay = weightDecay;
        this.lastCheckpoint = lastCheckpoint;
        int Se = model.vision.imageSize(); // §5 on the host reads only the selection components
        this.host = Components.of(aclip4j.Backend.SIMD, model.vision, Se, model.text, model.heads, Lanes.preferred());
    }

    /** Bytes a step of this shape moves between the heap and ND4J, by the accounting in the class comment. */
    public static long stepTraffic(Model m, AClipStep.Settings s, int microBatch, int accum, int context) {
        int S = m.vision.imageSize(), Se = s.emaImageSize(), V = s.views(), Ge = Se / m.vision.patch();
        int kept = s.variant().masks() ? s.keepCells() * s.patchesPerCell() * s.patchesPerCell() : m.vision.tokens();
        long in = 4L * ((long) V * microBatch * 3 * S * S + (s.variant().ema ? (long) microBatch * 3 * Se * Se : 0)
                + (long) microBatch * context + (s.variant().masks() ? (long) V * microBatch * kept : 0));
        long out = (s.attentive() && s.variant().masks() ? 4L * microBatch * Ge * Ge : 0) + 16;
        return accum * (in + out) + 8 + 8 + 4;
    }

    private void upload() {
        if (online != null) {
            return;
        }
        online = new LinkedHashMap<>();
        model.online.forEach((k, t) -> online.put(k, toNd(t)));
        ema = new LinkedHashMap<>();
        model.ema.forEach((k, t) -> ema.put(k, toNd(t)));
        optimizer.state().forEach((k, mo) -> {
            expAvg.put(k, toNd(mo.expAvg()));
            expAvgSq.put(k, toNd(mo.expAvgSq()));
            updates.put(k, mo.step());
        });
    }

    private static INDArray toNd(Tensor t) {
        if (t.rank() == 0) {
            Traffic.in(4);
            return Nd4j.scalar(t.floats()[0]);
        }
        return Nd.f32(t.floats(), t.shape());
    }

    @Override
    public void syncToHost() {
        if (!hostStale) {
            return;
        }
        online.forEach((k, a) -> copyInto(a, model.online.get(k)));
        ema.forEach((k, a) -> copyInto(a, model.ema.get(k)));
        for (String k : expAvg.keySet()) {
            int[] shape = model.online.get(k).shape();
            optimizer.restore(k, updates.get(k), Tensor.f32(Nd.floats(expAvg.get(k)), shape),
                    Tensor.f32(Nd.floats(expAvgSq.get(k)), shape));
        }
        hostStale = false;
    }

    private static void copyInto(INDArray a, Tensor t) {
        float[] f = Nd.floats(a);
        System.arraycopy(f, 0, t.floats(), 0, f.length);
    }

    @Override
    public Outcome step(int i, double lr, double momentum, AClipStep.Settings s, int accum, MicroBatches microBatches) {
        upload();
        checkFiniteState(i + 1);
        hostStale = true;
        // §7: at the start of every step, before the EMA forward; BatchNorm buffers are not averaged. The
        // temporary of each tensor's update lives in a reused workspace.
        ema.forEach((name, t) -> {
            if (!SslHead.isBuffer(name)) {
                try (MemoryWorkspace ws = updateWorkspace()) {
                    emaUpdate.update(t, online.get(name), momentum);
                }
            }
        });
        Map<String, INDArray> grads = new LinkedHashMap<>();
        double loss = 0, clip = 0, ssl = 0, byol = 0, masking = 0;
        int kept = 0;
        AClipStep.Batch first = null;
        int[][] firstKeep = null;
        for (int a = 0; a < accum; a++) {
            AClipStep.Batch batch = microBatches.get(a);
            MicroResult r = micro(s, batch);
            if (a == 0) {
                first = batch;
                firstKeep = r.keep;
            }
            float scale = 1f / accum; // §8: each micro-batch loss is divided by the micro-batch count
            r.grads.forEach((name, g) -> {
                INDArray have = grads.get(name);
                if (accum == 1) {
                    grads.put(name, g);
                } else if (have == null) {
                    grads.put(name, g.mul(scale));
                } else {
                    have.addi(g.mul(scale));
                }
            });
            loss += r.losses[0] / accum;
            clip += r.losses[1] / accum;
            ssl += r.losses[2] / accum;
            byol += r.losses[3] / accum;
            kept = r.kept;
            masking += r.maskingSeconds;
        }
        checkFinite(i + 1, clip, ssl, byol, grads);
        // §8 AdamW, in place, every trainable tensor that has a gradient (the frozen patch embedding has none);
        // moments start at zero on a tensor's first update, allocated once outside any workspace.
        for (Map.Entry<String, INDArray> e : online.entrySet()) {
            String name = e.getKey();
            INDArray g = grads.get(name);
            if (g == null || SslHead.isBuffer(name)) {
                continue;
            }
            INDArray p = e.getValue();
            INDArray m = expAvg.computeIfAbsent(name, k -> Nd4j.zeros(DataType.FLOAT, p.shape()));
            INDArray v = expAvgSq.computeIfAbsent(name, k -> Nd4j.zeros(DataType.FLOAT, p.shape()));
            long t = updates.merge(name, 1L, Long::sum);
            double wd = optimizer.weightDecayOf(name, p.rank());
            try (MemoryWorkspace ws = updateWorkspace()) { // AdamW's four temporaries, reused tensor to tensor
                adamW.step(p, g.reshape(p.shape()), m, v, AdamWScalars.of(lr, AdamWOptimizer.BETA1,
                        AdamWOptimizer.BETA2, AdamWOptimizer.EPS, wd, t));
            }
        }
        // §6: the logit scale is clamped to [0, ln 100] after every optimiser step.
        INDArray ls = online.get(Model.LOGIT_SCALE);
        Transforms.max(ls, 0f, false);
        Transforms.min(ls, Model.LOGIT_SCALE_MAX, false);
        Traffic.out(4);
        float logitScale = ls.getFloat(0);
        // SameDiff's executions leave every op's output to the garbage collector (its array cache stays empty in
        // 1.0.0-M2.1), about 350 MB per tiny step at batch 32; the Java heap barely grows, so without a collection
        // per step the process grows until JavaCPP's limits throttle it (BENCHMARKS.md "ND4J resident engine").
        Nd4j.getMemoryManager().invokeGc();
        return new Outcome(loss, clip, ssl, byol, kept, masking, logitScale, first, firstKeep);
    }

    /**
     * The workspace of the in-place updates: sized once for the largest tensor's temporaries (AdamW makes four of
     * the tensor's size, the EMA update one), reset when each tensor's update closes it, so steady-state updates
     * allocate no new native memory. Only temporaries are made inside it; resident arrays are created outside.
     */
    private MemoryWorkspace updateWorkspace() {
        if (workspace == null) {
            long largest = 0;
            for (INDArray a : online.values()) {
                largest = Math.max(largest, a.length());
            }
            workspace = WorkspaceConfiguration.builder().initialSize(5 * 4 * largest + (1 << 16))
                    .policyAllocation(AllocationPolicy.STRICT).policyLearning(LearningPolicy.NONE)
                    .policySpill(SpillPolicy.REALLOCATE).build();
        }
        return Nd4j.getWorkspaceManager().getAndActivateWorkspace(workspace, "aclip4j-nd4j-updates");
    }

    private WorkspaceConfiguration workspace;

    private record MicroResult(float[] losses, Map<String, INDArray> grads, int[][] keep, int kept,
                               double maskingSeconds) {}

    /** One micro-batch: EMA graph, host selection, training graph, gradients of every trainable online tensor. */
    private MicroResult micro(AClipStep.Settings s, AClipStep.Batch batch) {
        int B = batch.B(), V = s.views(), S = model.vision.imageSize(), N = model.vision.tokens();
        int ctx = model.text.context();
        AClipStep.checkBatch(model, s, batch);
        // 1. EMA tower on the full EMA view (§3 scores, BYOL target); the target never leaves ND4J.
        float[] scores = null;
        INDArray target = null;
        if (s.variant().ema) {
            StepGraphs.Ema eg = emaGraphs.computeIfAbsent(B, b -> new StepGraphs.Ema(model, s, b, ema));
            StepGraphs.Ema.Out o = eg.run(Nd.f32(batch.emaView(), B, 3, s.emaImageSize(), s.emaImageSize()));
            target = o.target();
            if (s.attentive() && s.variant().masks()) {
                scores = Nd.floats(o.scores());
            }
        }
        // 2. §5 on the host, as AClipStep does it.
        long maskStart = System.nanoTime();
        int[][] keep = AClipStep.keptTokensPerView(host, s, scores, batch, model.vision); // scores: null unless attentive
        int kept = s.keptTokens(N);
        double maskingSeconds = (System.nanoTime() - maskStart) / 1e9;

        // 3. Inputs: views, token ids and kept indices in; rows gathered on the ND4J side.
        int K = kept;
        StepGraphs.Train tg = trainGraphs.computeIfAbsent(List.of(B, K), k -> new StepGraphs.Train(model, s, B, K,
                online));
        INDArray[] views = new INDArray[V];
        for (int v = 0; v < V; v++) {
            views[v] = Nd.f32(batch.views()[v], B, 3, S, S);
        }
        INDArray images = V == 1 ? views[0] : Nd4j.concat(0, views); // [V*B,3,S,S], view-major, in ND4J
        INDArray local = s.variant().masks() ? indices(concat(keep)) : tg.allTokens();
        INDArray ids = indices(batch.tokens());
        StepGraphs.Train.Out o = tg.run(images, local, ids.reshape(B, ctx), target);

        // 4. Gradients outside autodiff: position rows and token rows scattered back by segment sums.
        Map<String, INDArray> grads = o.grads();
        int T = N + 1, D = model.vision.width();
        INDArray dPos = grads.get(aclip4j.tower.Weights.POS_EMBED).reshape(T, D);
        dPos.addi(segmentSum(o.posRowGrads(), local.add(1), T));
        grads.put(aclip4j.tower.Weights.POS_EMBED, dPos.reshape(1, T, D));
        grads.put(aclip4j.tower.Weights.TOKEN_EMBEDDING, segmentSum(o.tokenRowGrads(), ids, model.text.vocab()));
        // §6 BatchNorm running statistics of the online heads, refreshed in place in call order.
        for (StepGraphs.BufferUpdate u : o.batchStats()) {
            Nd4jSslHead.updateRunning(online.get(u.buffer()), u.batch());
        }
        return new MicroResult(o.losses(), grads, keep, kept, maskingSeconds);
    }

    private static INDArray segmentSum(INDArray rows, INDArray ids, int segments) {
        return Nd4j.exec(new UnsortedSegmentSum(rows, ids.castTo(DataType.INT), segments))[0];
    }

    /** Row gather on the ND4J side ({@code out[i] = src[idx[i]]}). */
    static INDArray gatherRows(INDArray src, INDArray idx) {
        return Nd4j.exec(new Gather(src, idx, 0))[0];
    }

    /** The views' kept indices, view-major, as one array. */
    private static int[] concat(int[][] parts) {
        int n = 0;
        for (int[] p : parts) {
            n += p.length;
        }
        int[] all = new int[n];
        int o = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, all, o, p.length);
            o += p.length;
        }
        return all;
    }

    /** Indices copied into ND4J as INT32 (counted). */
    private static INDArray indices(int[] values) {
        Traffic.in(4L * values.length);
        return Nd4j.createFromArray(values);
    }

    /** How many elements of the arrays are NaN or infinite, counted in ND4J and read once (8 bytes). */
    private static long nonFinite(Iterable<INDArray> arrays) {
        INDArray total = null;
        for (INDArray a : arrays) {
            INDArray c = Nd4j.getExecutioner().exec(new MatchCondition(a, Conditions.notFinite()));
            total = total == null ? c.castTo(DataType.LONG) : total.addi(c.castTo(DataType.LONG));
        }
        Traffic.out(8);
        return total == null ? 0 : total.getLong(0);
    }

    /** The guard on the state (SPEC §8): a non-finite online or EMA weight stops the run, named. */
    private void checkFiniteState(int stepNumber) {
        List<INDArray> all = new ArrayList<>(online.values());
        all.addAll(ema.values());
        if (nonFinite(all) == 0) {
            return;
        }
        for (Map<String, INDArray> group : List.of(online, ema)) {
            String prefix = group == ema ? Checkpoint.EMA : "";
            group.forEach((name, a) -> NumericalGuard.checkWeight(stepNumber, prefix + name, Nd.floats(a),
                    lastCheckpoint));
        }
    }

    /** The guard after the micro-batches: losses and gradients must be finite, else stop before the update. */
    private void checkFinite(int stepNumber, double clip, double ssl, double byol, Map<String, INDArray> grads) {
        // the model's parameter order, as the host guard names it; the arrays are read only when some are bad
        String tensor = nonFinite(grads.values()) == 0 ? null : NumericalGuard.firstBadGradient(model.online.keySet(),
                name -> grads.containsKey(name) ? Nd.floats(grads.get(name)) : null);
        NumericalGuard.checkStep(stepNumber, clip, ssl, byol, tensor, lastCheckpoint);
    }
}
