package aclip4j.train.nd4j;

import aclip4j.kernel.Lanes;
import aclip4j.kernel.Patchify;
import aclip4j.nd.Nd;
import aclip4j.nd.Traffic;
import aclip4j.optim.AdamWOptimizer;
import aclip4j.optim.AdamWScalars;
import aclip4j.optim.Nd4jAdamW;
import aclip4j.ema.Nd4jEmaUpdate;
import aclip4j.tensor.Tensor;
import aclip4j.tower.Nd4jSslHead;
import aclip4j.tower.Nd4jTextTower;
import aclip4j.tower.SslHead;
import aclip4j.train.AClipStep;
import aclip4j.train.Checkpoint;
import aclip4j.train.Components;
import aclip4j.train.Model;
import aclip4j.train.NumericalGuard;
import aclip4j.train.StepEngine;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * AdamW in place ({@link Nd4jAdamW}) → §6 logit-scale clamp. Graphs are built once per micro-batch size; after
 * its first execution each runs as a {@link CompiledExecution} (a recorded op list replayed without SameDiff).
 *
 * <p>Nothing is allocated once steps repeat: the state lives in {@link FlatTensors} buffers made at upload, the
 * graphs' op outputs in their {@link ArrayArena}s, and whatever else a step makes (its inputs in ND4J, gathers,
 * segment sums, guard counts) in one workspace reused step after step. What must outlast a step — graphs, their
 * input arrays, their first SameDiff execution — is made outside it ({@link #outsideWorkspaces}).
 *
 * <p>Kept tokens are taken by a gather on indices (§1.3): the patches inside the graph ({@code sd.gather} of the
 * placeholder patch rows, cut from the images on the host, which need no backward), the position rows and the token-embedding rows by libnd4j's
 * {@code gather} outside autodiff with their gradients scattered back by {@code unsorted_segment_sum}, because
 * SameDiff 1.0.0-M2.1's gather backward is wrong (duplicate indices lose terms, rows land on the wrong index).
 *
 * <p>Host↔ND4J bytes per step ({@link Traffic}), with {@code Bm} images per micro-batch and {@code A} micro-batches:
 * in, per micro-batch, {@code 4·(V·Bm·3·S² + Bm·3·Se² + Bm·P + V·Bm·Kt)} (online views, EMA view, the token ids
 * of the P text positions the graph runs ({@link #TEXT_POSITION_STEP}), kept-token indices, {@code Kt} tokens kept per view, none without masks); out, per micro-batch, {@code 4·Bm·Ge²} (the score map, only
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

    /**
     * The resident state (null until the first step uploads it): online weights, EMA weights, the step's gradients
     * and the AdamW moments, each a {@link FlatTensors} in one layout — EMA-tracked tensors first (so the EMA update
     * is one slice of both buffers), within that weight-decayed before not, then the rest likewise, BatchNorm
     * buffers last.
     */
    private FlatTensors online;
    private FlatTensors ema;
    private FlatTensors grads;
    private FlatTensors expAvg;
    private FlatTensors expAvgSq;
    /** Elements {@code [0, emaSpan)} of the online and EMA buffers are the tensors the §7 update averages. */
    private long emaSpan;
    /** The tensors whose moments exist (restored from a checkpoint or updated at least once). */
    private final Set<String> withMoments = new HashSet<>();
    private final Map<String, Long> updates = new LinkedHashMap<>();
    /** Whether the model's tensors are older than the resident state. */
    private boolean hostStale;

    private final Map<Integer, StepGraphs.Ema> emaGraphs = new HashMap<>();
    /**
     * Training graphs by (micro-batch, kept tokens, text positions), the {@link #TRAIN_GRAPHS} used last; a graph
     * dropped here is built (and recorded) again if its shape comes back.
     */
    private final Map<List<Object>, StepGraphs.Train> trainGraphs = new LinkedHashMap<>(4, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<List<Object>, StepGraphs.Train> eldest) {
            return size() > TRAIN_GRAPHS;
        }
    };

    /**
     * The text tower of a training graph runs the batch's positions up to its longest caption, rounded up to a
     * multiple of this step (at most the context), so that batches of similar caption lengths share one graph
     * ({@link Nd4jTextTower#positionsRun}): 16 by default, {@code -Daclip4j.nd4j.text-step=N} to change it (a
     * smaller step runs fewer positions and builds more graphs). The built-in captions are 13 to 29 tokens long.
     */
    static final String TEXT_STEP_PROPERTY = "aclip4j.nd4j.text-step";
    static final int TEXT_POSITION_STEP = 16;

    /** The step of text positions ({@link #TEXT_POSITION_STEP}), read when the engine is made. */
    private final int textStep = textStep();

    private static int textStep() {
        return aclip4j.kernel.Parallel.intProperty(TEXT_STEP_PROPERTY, TEXT_POSITION_STEP, 1,
                "a whole number of text positions");
    }

    /**
     * How many training graphs stay built: each holds the op outputs of a whole step (gigabytes at {@code vit-s16}),
     * so batches whose text positions fall in a third step of {@link #TEXT_POSITION_STEP} rebuild the least recently
     * used one.
     */
    static final int TRAIN_GRAPHS = 2;

    /** The text positions this engine runs for a {@code [B,ctx]} batch of token ids ({@link #TEXT_POSITION_STEP}). */
    public int textPositions(int[] tokens, int B, int ctx) {
        return Nd4jTextTower.positionsRun(tokens, B, ctx, textStep);
    }

    /** The (micro-batch, kept tokens, text positions) of the training graphs built and kept (for the tests). */
    java.util.Set<List<Object>> trainGraphShapes() {
        return new java.util.LinkedHashSet<>(trainGraphs.keySet());
    }

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

    /**
     * Bytes a step of this shape moves between the heap and ND4J, by the accounting in the class comment, when each
     * micro-batch runs {@code textPositions} text positions.
     */
    public static long stepTraffic(Model m, AClipStep.Settings s, int microBatch, int accum, int textPositions) {
        int S = m.vision.imageSize(), Se = s.emaImageSize(), V = s.views(), Ge = Se / m.vision.patch();
        int kept = s.variant().masks() ? s.keepCells() * s.patchesPerCell() * s.patchesPerCell() : m.vision.tokens();
        long in = 4L * ((long) V * microBatch * 3 * S * S + (s.variant().ema ? (long) microBatch * 3 * Se * Se : 0)
                + (long) microBatch * textPositions + (s.variant().masks() ? (long) V * microBatch * kept : 0));
        long out = (s.attentive() && s.variant().masks() ? 4L * microBatch * Ge * Ge : 0) + 16;
        return accum * (in + out) + 8 + 8 + 4;
    }

    /** The layout group of a tensor (see the fields): EMA-tracked first, weight-decayed first, buffers last. */
    private int group(String name) {
        if (SslHead.isBuffer(name)) {
            return 4;
        }
        return (model.ema.containsKey(name) ? 0 : 2) + (decay(name) != 0.0 ? 0 : 1);
    }

    private void upload() {
        if (online != null) {
            return;
        }
        List<String> order = new ArrayList<>(model.online.keySet());
        order.sort(Comparator.comparingInt(this::group)); // stable: the model's order within a group
        List<String> emaOrder = new ArrayList<>();
        for (String name : order) {
            if (model.ema.containsKey(name)) {
                emaOrder.add(name);
            }
        }
        if (emaOrder.size() != model.ema.size()) {
            throw new IllegalStateException("the EMA model has tensors the online model lacks");
        }
        online = new FlatTensors(order, n -> model.online.get(n).shape());
        ema = new FlatTensors(emaOrder, n -> model.ema.get(n).shape());
        grads = new FlatTensors(order, n -> model.online.get(n).shape());
        expAvg = new FlatTensors(order, n -> model.online.get(n).shape());
        expAvgSq = new FlatTensors(order, n -> model.online.get(n).shape());
        emaSpan = 0;
        for (int i = 0; i < order.size() && group(order.get(i)) < 2; i++) {
            if (!order.get(i).equals(emaOrder.get(i))) {
                throw new IllegalStateException("online and EMA layouts differ at " + order.get(i));
            }
            emaSpan += online.length(order.get(i));
        }
        model.online.forEach((k, t) -> load(online.view(k), t));
        model.ema.forEach((k, t) -> load(ema.view(k), t));
        optimizer.state().forEach((k, mo) -> {
            load(expAvg.view(k), mo.expAvg());
            load(expAvgSq.view(k), mo.expAvgSq());
            updates.put(k, mo.step());
            withMoments.add(k);
        });
    }

    /** A host tensor's values into its resident view (counted). */
    private static void load(INDArray view, Tensor t) {
        if (t.rank() == 0) {
            Traffic.in(4);
            view.assign(t.floats()[0]);
        } else {
            view.assign(Nd.f32(t.floats(), t.shape()));
        }
    }

    @Override
    public void syncToHost() {
        if (!hostStale) {
            return;
        }
        online.views().forEach((k, a) -> copyInto(a, model.online.get(k)));
        ema.views().forEach((k, a) -> copyInto(a, model.ema.get(k)));
        for (String k : model.online.keySet()) { // the model's order, as the host optimiser keeps its state
            if (withMoments.contains(k)) {
                int[] shape = model.online.get(k).shape();
                optimizer.restore(k, updates.get(k), Tensor.f32(Nd.floats(expAvg.view(k)), shape),
                        Tensor.f32(Nd.floats(expAvgSq.view(k)), shape));
            }
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
        // every ND4J array the step makes for itself (inputs, gathers, segment sums, guard counts) lives in one
        // workspace reused step after step; what must outlast the step is made outside it (graphs, their inputs)
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(STEP_WORKSPACE, STEP_WORKSPACE_ID)) {
            return stepInWorkspace(i, lr, momentum, s, accum, microBatches);
        }
    }

    private Outcome stepInWorkspace(int i, double lr, double momentum, AClipStep.Settings s, int accum,
                                    MicroBatches microBatches) {
        checkFiniteState(i + 1);
        hostStale = true;
        // §7: at the start of every step, before the EMA forward; BatchNorm buffers are not averaged. The tracked
        // tensors are the first emaSpan elements of both buffers; the update's temporary lives in a reused workspace.
        for (long from = 0; from < emaSpan; from += updateChunk()) {
            long to = Math.min(emaSpan, from + updateChunk());
            try (MemoryWorkspace ws = updateWorkspace()) {
                emaUpdate.update(ema.slice(from, to), online.slice(from, to), momentum);
            }
        }
        Set<String> withGrad = new HashSet<>();
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
            for (Map.Entry<String, INDArray> e : r.grads.entrySet()) {
                INDArray g = grads.view(e.getKey());
                INDArray micro = e.getValue().reshape(g.shape());
                if (accum == 1) {
                    g.assign(micro);
                } else if (a == 0) {
                    g.assign(micro).muli(scale);
                } else {
                    g.addi(micro.mul(scale));
                }
                withGrad.add(e.getKey());
            }
            loss += r.losses[0] / accum;
            clip += r.losses[1] / accum;
            ssl += r.losses[2] / accum;
            byol += r.losses[3] / accum;
            kept = r.kept;
            masking += r.maskingSeconds;
        }
        checkFinite(i + 1, clip, ssl, byol, withGrad);
        adamW(lr, withGrad);
        // §6: the logit scale is clamped to [0, ln 100] after every optimiser step.
        // (read once and written back only when the clamp moves it: two ND4J ops on a scalar view cost milliseconds)
        INDArray ls = online.view(Model.LOGIT_SCALE);
        Traffic.out(4);
        float raw = ls.getFloat(0);
        float logitScale = Math.min(Math.max(raw, 0f), Model.LOGIT_SCALE_MAX);
        if (Float.floatToRawIntBits(logitScale) != Float.floatToRawIntBits(raw)) {
            ls.assign(logitScale);
        }
        return new Outcome(loss, clip, ssl, byol, kept, masking, logitScale, first, firstKeep);
    }

    /**
     * §8 AdamW, in place, on every trainable tensor with a gradient (the frozen patch embedding has none): the layout
     * order cut into runs of neighbouring tensors with the same weight decay and step count, each run one
     * {@link Nd4jAdamW#step} per chunk of the buffers — per element the same arithmetic as a call per tensor.
     */
    private void adamW(double lr, Set<String> withGrad) {
        List<String> order = online.names();
        int i = 0;
        while (i < order.size()) {
            String name = order.get(i);
            if (!withGrad.contains(name) || SslHead.isBuffer(name)) {
                i++;
                continue;
            }
            double wd = decay(name);
            long t = updates.getOrDefault(name, 0L) + 1;
            long from = online.offset(name), to = from;
            int j = i;
            while (j < order.size()) {
                String n = order.get(j);
                if (!withGrad.contains(n) || SslHead.isBuffer(n) || decay(n) != wd
                        || updates.getOrDefault(n, 0L) + 1 != t) {
                    break;
                }
                updates.put(n, t);
                withMoments.add(n);
                to = online.offset(n) + online.length(n);
                j++;
            }
            AdamWScalars scalars = AdamWScalars.of(lr, AdamWOptimizer.BETA1, AdamWOptimizer.BETA2, AdamWOptimizer.EPS,
                    wd, t);
            for (long a = from; a < to; a += updateChunk()) {
                long b = Math.min(to, a + updateChunk());
                try (MemoryWorkspace ws = updateWorkspace()) { // AdamW's four temporaries, reused chunk to chunk
                    adamW.step(online.slice(a, b), grads.slice(a, b), expAvg.slice(a, b), expAvgSq.slice(a, b), scalars);
                }
            }
            i = j;
        }
    }

    private double decay(String name) {
        return optimizer.weightDecayOf(name, model.online.get(name).rank());
    }

    /** The workspace of each step's own temporaries (learned in the first step, then reused). */
    private static final String STEP_WORKSPACE_ID = "aclip4j-nd4j-step";
    private static final WorkspaceConfiguration STEP_WORKSPACE = WorkspaceConfiguration.builder()
            .initialSize(0).policyAllocation(AllocationPolicy.OVERALLOCATE).overallocationLimit(0.25)
            .policyLearning(LearningPolicy.FIRST_LOOP).policySpill(SpillPolicy.REALLOCATE).build();

    /** How much of the step workspace the steps hold now, in bytes (constant once steps repeat; for the tests). */
    long stepWorkspaceBytes() {
        var ws = Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread(STEP_WORKSPACE, STEP_WORKSPACE_ID);
        return ws.getCurrentSize();
    }

    /** The graphs' arrays created so far (constant once the graphs are compiled; for the tests). */
    long graphArrays() {
        long n = 0;
        for (StepGraphs.Ema g : emaGraphs.values()) {
            n += g.execution().arrays();
        }
        for (StepGraphs.Train g : trainGraphs.values()) {
            n += g.execution().arrays();
        }
        return n;
    }

    /** Whether every graph built so far runs as a compiled execution (for the tests). */
    boolean allCompiled() {
        return emaGraphs.values().stream().allMatch(g -> g.execution().isCompiled())
                && trainGraphs.values().stream().allMatch(g -> g.execution().isCompiled());
    }

    /**
     * The workspace of the in-place updates: sized once for the temporaries of one chunk ({@link #updateChunk}; AdamW
     * makes four of the chunk's size, the EMA update one), reset when each chunk's update closes it, so steady-state
     * updates allocate no new native memory. Only temporaries are made inside it; resident arrays are created outside.
     */
    private MemoryWorkspace updateWorkspace() {
        if (workspace == null) {
            workspace = WorkspaceConfiguration.builder().initialSize(5 * 4 * updateChunk() + (1 << 16))
                    .policyAllocation(AllocationPolicy.STRICT).policyLearning(LearningPolicy.NONE)
                    .policySpill(SpillPolicy.REALLOCATE).build();
        }
        return Nd4j.getWorkspaceManager().getAndActivateWorkspace(workspace, "aclip4j-nd4j-updates");
    }

    private WorkspaceConfiguration workspace;

    /** The elements one in-place update takes at once: the largest tensor's length, at least 2^20. */
    private long updateChunk() {
        if (chunk == 0) {
            long largest = 1 << 20;
            for (String name : online.names()) {
                largest = Math.max(largest, online.length(name));
            }
            chunk = largest;
        }
        return chunk;
    }

    private long chunk;

    private record MicroResult(float[] losses, Map<String, INDArray> grads, int[][] keep, int kept,
                               double maskingSeconds) {}

    /** One micro-batch: EMA graph, host selection, training graph, gradients of every trainable online tensor. */
    private MicroResult micro(AClipStep.Settings s, AClipStep.Batch batch) {
        int B = batch.B(), S = model.vision.imageSize(), N = model.vision.tokens();
        int ctx = model.text.context();
        AClipStep.checkBatch(model, s, batch);
        // 1. EMA tower on the full EMA view (§3 scores, BYOL target); the target never leaves ND4J.
        float[] scores = null;
        INDArray target = null;
        if (s.variant().ema) {
            StepGraphs.Ema eg = emaGraphs.computeIfAbsent(B, b -> outsideWorkspaces(() -> new StepGraphs.Ema(model, s,
                    b, ema.views())));
            StepGraphs.Ema.Out o = eg.run(patchRows(new float[][] {batch.emaView()}, B, s.emaImageSize()));
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

        // 3. Inputs: views, token ids and kept indices in; rows gathered on the ND4J side. The text tower runs the
        //    positions up to the batch's longest caption (the rest feed no feature; Nd4jTextTower's class comment).
        int K = kept;
        int P = textPositions(batch.tokens(), B, ctx);
        StepGraphs.Train tg = trainGraphs.computeIfAbsent(List.of(B, K, P), k -> outsideWorkspaces(
                () -> new StepGraphs.Train(model, s, B, K, P, online.views())));
        INDArray patches = patchRows(batch.views(), B, S); // [V*B*N, 3pp], view-major
        INDArray local = s.variant().masks() ? indices(concat(keep)) : tg.allTokens();
        INDArray ids = indices(aclip4j.tower.SimdTextTower.firstPositions(batch.tokens(), B, ctx, P));
        StepGraphs.Train.Out o = tg.run(patches, local, ids.reshape(B, P), target);

        // 4. Gradients outside autodiff: position rows and token rows scattered back by segment sums.
        Map<String, INDArray> grads = o.grads();
        int T = N + 1, D = model.vision.width();
        INDArray dPos = grads.get(aclip4j.tower.Weights.POS_EMBED).reshape(T, D);
        dPos.addi(segmentSum(o.posRowGrads(), local.add(1), T));
        grads.put(aclip4j.tower.Weights.POS_EMBED, dPos.reshape(1, T, D));
        grads.put(aclip4j.tower.Weights.TOKEN_EMBEDDING, segmentSum(o.tokenRowGrads(), ids, model.text.vocab()));
        // §6 BatchNorm running statistics of the online heads, refreshed in place in call order.
        for (StepGraphs.BufferUpdate u : o.batchStats()) {
            Nd4jSslHead.updateRunning(online.view(u.buffer()), u.batch());
        }
        return new MicroResult(o.losses(), grads, keep, kept, maskingSeconds);
    }

    /**
     * §1.1 the patch rows {@code [V*B*N, 3pp]} of the views' images {@code [B,3,S,S]} each, view-major, made on the
     * host ({@link Patchify}, a copy of p-pixel runs) and sent in as one array: the same bytes as the images, and the
     * graphs start from rows instead of permuting a rank-6 view of the images (libnd4j's rank-6 {@code permute}
     * took 4–8 ms per execution at {@code tiny}, BENCHMARKS.md "The compiled step").
     */
    private INDArray patchRows(float[][] views, int B, int S) {
        int p = model.vision.patch(), G = S / p, P = 3 * p * p, per = B * G * G * P;
        float[] rows = new float[views.length * per];
        for (int v = 0; v < views.length; v++) {
            Patchify.patchifyForward(rows, v * per, views[v], B, S, p);
        }
        return Nd.f32(rows, views.length * B * G * G, P);
    }

    /** Makes something that must outlast the step (a graph and its arrays) outside the step's workspace. */
    static <T> T outsideWorkspaces(java.util.function.Supplier<T> make) {
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return make.get();
        }
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
    private static long nonFinite(List<INDArray> arrays) {
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
        if (nonFinite(List.of(online.all(), ema.all())) == 0) {
            return;
        }
        for (FlatTensors group : List.of(online, ema)) {
            String prefix = group == ema ? Checkpoint.EMA : "";
            group.views().forEach((name, a) -> NumericalGuard.checkWeight(stepNumber, prefix + name, Nd.floats(a),
                    lastCheckpoint));
        }
    }

    /**
     * The guard after the micro-batches: losses and gradients must be finite, else stop before the update. The
     * gradient buffer holds zeros where a tensor gets no gradient, so one count over it covers the step.
     */
    private void checkFinite(int stepNumber, double clip, double ssl, double byol, Set<String> withGrad) {
        // the model's parameter order, as the host guard names it; the arrays are read only when some are bad
        String tensor = nonFinite(List.of(grads.all())) == 0 ? null : NumericalGuard.firstBadGradient(
                model.online.keySet(), name -> withGrad.contains(name) ? Nd.floats(grads.view(name)) : null);
        NumericalGuard.checkStep(stepNumber, clip, ssl, byol, tensor, lastCheckpoint);
    }
}
