package aclip4j.train;

import aclip4j.data.Dataset;
import aclip4j.data.Split;
import aclip4j.data.Tokenizer;
import aclip4j.ema.MomentumSchedule;
import aclip4j.eval.Evaluator;
import aclip4j.eval.ObjectShare;
import aclip4j.tensor.Safetensors;
import aclip4j.tensor.Tensor;
import aclip4j.kernel.Lanes;
import aclip4j.kernel.KernelTimes;
import aclip4j.kernel.Parallel;
import aclip4j.mask.TokenSelector;
import aclip4j.optim.AdamWOptimizer;
import aclip4j.optim.LrSchedule;
import aclip4j.tower.SslHead;
import aclip4j.tower.VisionConfig;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A training run (SPEC §1–§10): data → views and EMA box (§4) → EMA update (§7) → {@link AClipStep} per
 * micro-batch → AdamW (§8) → logit-scale clamp, with metrics, checkpoints and evaluation.
 *
 * <p>Every random choice of step {@code i} comes from generators derived from {@code (seed, i)} alone, so a run
 * resumed from a checkpoint continues with exactly the bits it would have produced without stopping.
 */
public final class Trainer {
    private final TrainConfig cfg;
    private final Path out;
    private final PrintStream log;
    private final Dataset train;
    private final Dataset heldOut;
    private final Tokenizer tokenizer;
    private final Model model;
    private final Components components;
    private final AClipStep.Settings settings;
    private final AdamWOptimizer optimizer;
    private final LrSchedule lrSchedule;
    private final Batches batches;
    private final StepEngine engine;
    private long step; // optimiser steps done

    private Trainer(TrainConfig cfg, Path out, PrintStream log, Dataset train, Dataset heldOut,
                    Tokenizer tokenizer, Model model, long step) {
        this.cfg = cfg;
        this.out = out;
        this.log = log;
        this.train = train;
        this.heldOut = heldOut;
        this.tokenizer = tokenizer;
        this.model = model;
        this.step = step;
        int S = model.vision.imageSize();
        int Se = cfg.variant() == Variant.ACLIP_EFF ? S / 2 : S;
        this.components = Components.of(cfg.backend(), model.vision, Se, model.text, model.heads, Lanes.preferred());
        this.settings = settings(cfg, model.vision, Se);
        this.optimizer = new AdamWOptimizer(components.adamW(), cfg.weightDecay());
        this.lrSchedule = new LrSchedule(cfg.lr(), cfg.lrStart(), cfg.lrEnd(), cfg.warmup(), cfg.steps());
        this.batches = new Batches(cfg, train, tokenizer, S, Se, settings.views(), model.vision.grid() / settings.patchesPerCell());
        // The one seam between backends: ND4J runs keep their state resident in ND4J (aclip4j.train.nd4j).
        this.engine = cfg.backend() == aclip4j.Backend.ND4J
                ? new aclip4j.train.nd4j.Nd4jStepEngine(model, optimizer, cfg.weightDecay(), Checkpoint.lastFile(out))
                : this::hostStep;
    }

    /** The per-step settings a config implies (§5.3 keep count from the keep fraction). */
    public static AClipStep.Settings settings(TrainConfig cfg, VisionConfig v, int Se) {
        int r = cfg.maskCell() / v.patch();
        if (r < 1 || cfg.maskCell() % v.patch() != 0 || v.grid() % r != 0) {
            throw new IllegalArgumentException("--mask-cell " + cfg.maskCell() + " px must be a multiple of the patch ("
                    + v.patch() + " px) that tiles the " + v.grid() + "x" + v.grid() + " patch grid");
        }
        int g = v.grid() / r;
        int n = g * g;
        int K = TokenSelector.keepCount(n, cfg.keepFraction());
        return new AClipStep.Settings(cfg.variant(), cfg.views(), r, K, cfg.strategy(), mixedTopCells(n),
                cfg.scoreLayers(), cfg.ssl(), cfg.byolOn(), TrainConfig.SIMCLR_TEMPERATURE, cfg.simclrSameView(),
                cfg.wSsl(), cfg.wByol(),
                cfg.freezePatchEmbed(), Se, cfg.bnPerView());
    }

    /** §5.4 {@code mixed}: the cells of {@code n} kept by score before the random rest (a quarter, rounded half up). */
    public static int mixedTopCells(int n) {
        return (int) Math.round(TrainConfig.MIXED_TOP_SHARE * n);
    }

    /** A fresh run in {@code out} (refused if it already holds a checkpoint: use --resume). */
    public static Trainer start(TrainConfig cfg, Path out, PrintStream log) throws IOException {
        if (Files.exists(Checkpoint.lastFile(out))) {
            throw new IllegalArgumentException(out + " already holds a run (checkpoint-last.safetensors): use --resume "
                    + out + " to continue it, or choose another --out");
        }
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new IOException("cannot create the output folder " + out.toAbsolutePath() + ": "
                    + aclip4j.tensor.Safetensors.reason(e), e);
        }
        Dataset train = RunState.openData(cfg, Split.TRAIN);
        Dataset heldOut = RunState.openData(cfg, Split.TEST);
        log.println("data: " + train.describe());
        Tokenizer tok = RunState.newTokenizer(cfg, train);
        log.println("tokenizer: " + cfg.tokenizer().id() + ", " + tok.vocabSize() + " ids, context " + tok.context());
        Model model = RunState.newModel(cfg, tok.vocabSize());
        if (cfg.init() != null) {
            log.println("initialised " + RunState.initFrom(model, Path.of(cfg.init())) + " weights from " + cfg.init());
        }
        aclip4j.tensor.Safetensors.writeAtomically(out.resolve("config.json"),
                (cfg.toJson() + "\n").getBytes(StandardCharsets.UTF_8));
        return new Trainer(cfg, out, log, train, heldOut, tok, model, 0);
    }

    /** Continues the run in {@code dir} from its last checkpoint, with its own config.json. */
    public static Trainer resume(Path dir, PrintStream log) throws IOException {
        Path configFile = dir.resolve("config.json");
        if (!Files.exists(configFile)) {
            throw new IllegalArgumentException(dir + " has no config.json: not a training run directory");
        }
        RunState.removeTornTemporaries(dir, log);
        if (!Files.exists(Checkpoint.lastFile(dir))) { // stopped before its first checkpoint: nothing to lose
            TrainConfig cfg = TrainConfig.fromJson(Files.readString(configFile, StandardCharsets.UTF_8));
            log.println(dir + " has no checkpoint yet: starting it from step 0 with its config.json");
            return start(cfg, dir, log);
        }
        RunState.Loaded loaded = RunState.load(Checkpoint.lastFile(dir));
        TrainConfig cfg = loaded.config();
        Checkpoint ck = loaded.checkpoint();
        Dataset train = RunState.openData(cfg, Split.TRAIN);
        Dataset heldOut = RunState.openData(cfg, Split.TEST);
        Trainer t = new Trainer(cfg, dir, log, train, heldOut, loaded.tokenizer(), loaded.model(), ck.step());
        RunState.restoreOptimizer(t.optimizer, ck, Checkpoint.lastFile(dir));
        log.println("resuming " + dir + " at step " + ck.step() + " of " + cfg.steps());
        return t;
    }

    public TrainConfig config() {
        return cfg;
    }

    public Model model() {
        engine.syncToHost();
        return model;
    }

    public long step() {
        return step;
    }

    public Components components() {
        return components;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public Dataset heldOut() {
        return heldOut;
    }

    /** Zero-shot and retrieval on the held-out split with the EMA towers (online when there is no EMA). */
    public Evaluator.Report evaluate(int images) {
        return evaluate(images, true);
    }

    /**
     * Held-out evaluation with the EMA towers ({@code useEma}, when the run has them) or the online ones, in tower
     * calls of {@link #evalBatch} images.
     */
    public Evaluator.Report evaluate(int images, boolean useEma) {
        engine.syncToHost();
        boolean ema = useEma && !model.ema.isEmpty();
        return Evaluator.evaluate(components.vision(), components.text(), model.evalWeights(ema),
                model.vision.imageSize(), model.vision.embed(), heldOut, tokenizer, images, evalBatch(cfg),
                ema ? "ema" : "online");
    }

    /**
     * Images (and captions) per tower call of the held-out evaluation: 32, or the training micro-batch when that is
     * smaller, since a run split with {@code --accum} to fit its memory must not evaluate in larger calls (a vit-s16
     * pass at batch 32 saves about 2.8 GB of activations, {@code tower/ActivationPool}). Every image's features are
     * computed row by row, so the call size changes no bit of the report.
     */
    static int evalBatch(TrainConfig cfg) {
        return Math.max(1, Math.min(32, cfg.batch() / cfg.accum()));
    }

    /** Runs until {@code untilStep} optimiser steps are done (at most the configured total). */
    public void run(long untilStep) throws IOException {
        long end = Math.min(untilStep, cfg.steps());
        Progress progress = new Progress(log, Progress.stdoutIsTerminal(), step, cfg.steps(), Math.max(1, cfg.steps() / 20));
        try (MetricsLog metrics = MetricsLog.open(out.resolve("metrics.jsonl"), step)) {
            while (step < end) {
                long t0 = System.nanoTime();
                JsonObject row = trainStep();
                row.addProperty("seconds", (System.nanoTime() - t0) / 1e9);
                step++;
                boolean last = step == cfg.steps();
                boolean save = step % cfg.checkpointEvery() == 0 || step == end;
                try {
                    if (cfg.evalEvery() > 0 && (step % cfg.evalEvery() == 0 || last)) {
                        Evaluator.Report r = evaluate(cfg.evalImages());
                        r.toJson().entrySet().forEach(e -> row.add("eval_" + e.getKey(), e.getValue()));
                    }
                } finally {
                    // Also when the evaluation fails (out of memory, a bad held-out image): it must not take the
                    // trained steps with it (the line then has no eval_*). The line comes before the checkpoint, so
                    // a kill in between leaves a log that a resume cuts back to the checkpoint (MetricsLog.open),
                    // never a checkpoint ahead of the log.
                    metrics.write(row);
                    if (save) {
                        checkpoint().save(out, true);
                    }
                }
                progress.update(step, row.get("loss").getAsDouble(), row.get("lr").getAsDouble());
            }
        }
    }

    /** The engine that runs this run's steps (the host path or the resident ND4J engine). */
    public StepEngine engine() {
        return engine;
    }

    /** This run's batch maker (tests compare its batches across thread counts). */
    Batches batches() {
        return batches;
    }

    /**
     * One optimiser step with nothing written (no metrics line, no checkpoint), for {@code aclip4j bench}; returns
     * its metrics row, which holds {@code masking_seconds}, the wall time of the token selection (§5).
     */
    public JsonObject benchStep() {
        JsonObject row = trainStep();
        step++;
        return row;
    }

    /** One optimiser step; returns its metrics row (without {@code seconds}). */
    JsonObject trainStep() {
        int i = (int) step;
        double lr = lrSchedule.at(i);
        double m = MomentumSchedule.momentum(cfg.m0(), i, cfg.steps());
        int micro = cfg.batch() / cfg.accum();
        StepEngine.Outcome o = engine.step(i, lr, m, i < cfg.maskWarmup()
                ? settings.withStrategy(TokenSelector.Strategy.RANDOM) : settings, cfg.accum(), a -> {
                    long t0 = KernelTimes.begin();
                    AClipStep.Batch made = batches.make(i, a * micro, micro);
                    KernelTimes.end(KernelTimes.Family.DATA, t0);
                    return made;
                });
        long metricsStart = KernelTimes.begin();
        double[] share = objectShare(i, o.firstBatch(), o.firstKeep(), o.keptTokens());
        KernelTimes.end(KernelTimes.Family.METRICS, metricsStart);
        JsonObject row = new JsonObject();
        row.addProperty("step", i + 1);
        row.addProperty("loss", o.loss());
        row.addProperty("clip_loss", o.clipLoss());
        row.addProperty("ssl_loss", o.sslLoss());
        row.addProperty("byol_loss", o.byolLoss());
        row.addProperty("lr", lr);
        if (!model.ema.isEmpty()) { // no EMA, no momentum: left out rather than NaN, which strict JSON lacks
            row.addProperty("momentum", m);
        }
        row.addProperty("logit_scale", o.logitScale());
        row.addProperty("kept_tokens", o.keptTokens());
        row.addProperty("text_positions", textPositions(o.firstBatch()));
        row.addProperty("masking_seconds", o.maskingSeconds());
        if (share != null && Double.isFinite(share[0]) && Double.isFinite(share[1])) {
            row.addProperty("object_kept", share[0]);
            row.addProperty("object_kept_random", share[1]);
        }
        return row;
    }

    /**
     * Caption positions the text tower ran for the step's first micro-batch: up to the batch's last end of text on
     * the host path (all that its causal attention needs; both text twins cut there), that rounded up to the
     * resident ND4J engine's step of positions on that engine
     * ({@link aclip4j.train.nd4j.Nd4jStepEngine#textPositions}).
     */
    private int textPositions(AClipStep.Batch batch) {
        if (batch == null) {
            return model.text.context();
        }
        int B = batch.B(), ctx = batch.tokens().length / B;
        if (engine instanceof aclip4j.train.nd4j.Nd4jStepEngine e) {
            return e.textPositions(batch.tokens(), B, ctx);
        }
        return aclip4j.tower.SimdTextTower.positionsRead(batch.tokens(), B, ctx);
    }

    /** The host {@link StepEngine}: {@link AClipStep} per micro-batch on this run's components and Java arrays. */
    private StepEngine.Outcome hostStep(int i, double lr, double m, AClipStep.Settings stepSettings, int accum,
                                        StepEngine.MicroBatches microBatches) {
        long updateStart = KernelTimes.begin();
        checkFiniteWeights(i + 1);
        updateEma(components, model, m); // §7: at the start of every step, before the EMA forward
        KernelTimes.end(KernelTimes.Family.UPDATE, updateStart);
        Map<String, Tensor> grads = new LinkedHashMap<>();
        double loss = 0, clip = 0, ssl = 0, byol = 0;
        int kept = 0;
        double masking = 0;
        AClipStep.Batch first = null;
        int[][] firstKeep = null;
        for (int a = 0; a < accum; a++) {
            AClipStep.Batch batch = microBatches.get(a);
            AClipStep.Result r = AClipStep.run(components, model, stepSettings, batch);
            if (a == 0) {
                first = batch;
                firstKeep = r.keepIndex();
            }
            long sumStart = KernelTimes.begin();
            float scale = 1f / accum; // §8: each micro-batch loss is divided by the micro-batch count
            Map<String, Tensor> spent = new LinkedHashMap<>(); // added into the sum: back to their towers
            r.grads().forEach((name, g) -> {
                float[] src = g.floats();
                Tensor have = grads.get(name);
                if (have == null) { // 0 + g * scale, in the micro-batch's own array (the step's result is ours)
                    Parallel.forRanges(src.length, ACCUMULATE_CHUNK, (from, to) -> {
                        for (int j = from; j < to; j++) {
                            src[j] = 0f + src[j] * scale;
                        }
                    });
                    grads.put(name, g);
                    return;
                }
                float[] dst = have.floats();
                Parallel.forRanges(src.length, ACCUMULATE_CHUNK, (from, to) -> {
                    for (int j = from; j < to; j++) {
                        dst[j] += src[j] * scale;
                    }
                });
                spent.put(name, g);
            });
            recycleGradients(spent);
            KernelTimes.end(KernelTimes.Family.UPDATE, sumStart);
            model.online.putAll(r.buffers());
            loss += r.loss() / accum;
            clip += r.clipLoss() / accum;
            ssl += r.sslLoss() / accum;
            byol += r.byolLoss() / accum;
            kept = r.keptTokens();
            masking += r.maskingSeconds();
        }
        long stepStart = KernelTimes.begin();
        checkFinite(i + 1, clip, ssl, byol, grads); // before the update: the weights in memory stay the last good ones
        optimizer.step(trainable(model.online), grads, lr);
        recycleGradients(grads); // the optimiser has read them; the next step's backward writes into them
        float logitScale = clampLogitScale(model.online);
        KernelTimes.end(KernelTimes.Family.UPDATE, stepStart);
        return new StepEngine.Outcome(loss, clip, ssl, byol, kept, masking, logitScale, first, firstKeep);
    }

    /** Gradient arrays nothing reads any more go back to the towers and heads that made them (the rest to the GC). */
    private void recycleGradients(Map<String, Tensor> spent) {
        components.vision().recycle(spent);
        components.text().recycle(spent);
        components.simclrHead().recycle(spent, Model.SIMCLR);
        components.byolProjector().recycle(spent, Model.BYOL_PROJ);
        components.byolPredictor().recycle(spent, Model.BYOL_PRED);
        components.byolPredictor().recycle(spent, Model.SIMSIAM_PRED); // the SimSiam predictor has its shapes
    }

    /**
     * The loss terms and gradients of the current step's first micro-batch, after the step's EMA update and before
     * any optimiser step (no online weight changes), computed once by each of {@code twins} (this run's components
     * when none are given) on the same model and batch. What the backend parity tests compare.
     */
    List<AClipStep.Result> probeFirstMicroBatch(Components... twins) {
        int i = (int) step;
        updateEma(components, model, MomentumSchedule.momentum(cfg.m0(), i, cfg.steps()));
        AClipStep.Batch batch = batches.make(i, 0, cfg.batch() / cfg.accum());
        List<AClipStep.Result> results = new ArrayList<>();
        for (Components c : twins.length == 0 ? new Components[] {components} : twins) {
            results.add(AClipStep.run(c, model, settings, batch));
        }
        return results;
    }

    /**
     * The numerical guard: a non-finite loss term or gradient stops the run before the optimiser step, with the step,
     * the terms that went bad and the first gradient (in the model's parameter order) holding a NaN or infinity.
     * Nothing of this step is written: the last checkpoint on disk is the last good state.
     */
    void checkFinite(int stepNumber, double clip, double ssl, double byol, Map<String, Tensor> grads) {
        NumericalGuard.checkStep(stepNumber, clip, ssl, byol,
                NumericalGuard.firstBadGradient(grads.keySet(), name -> grads.get(name).floats()),
                Checkpoint.lastFile(out));
    }

    /** The guard on the state itself: a weight (online or EMA) that is NaN or infinite stops the run, named. */
    void checkFiniteWeights(int stepNumber) {
        for (Map<String, Tensor> group : List.of(model.online, model.ema)) {
            String prefix = group == model.ema ? Checkpoint.EMA : "";
            group.forEach((name, t) -> NumericalGuard.checkWeight(stepNumber, prefix + name, t.floats(),
                    Checkpoint.lastFile(out)));
        }
    }

    /** The EMA view resolution of this run (S, or S/2 for A-CLIP-eff). */
    public int emaImageSize() {
        return settings.emaImageSize();
    }

    /** Gradient elements per {@link Parallel} task when micro-batches are scaled and summed (element-wise). */
    private static final int ACCUMULATE_CHUNK = 1 << 16;

    /** The random masks of {@code object_kept_random}, a metric: chosen on the host whatever the backend. */
    private static final TokenSelector HOST_SELECTOR = aclip4j.twins.Twins.of(aclip4j.Backend.SIMD).tokenSelector();

    /**
     * Where the data set knows its objects ({@link Dataset#objectCoverage}), for the step's first micro-batch: the
     * mean over images and views of the share of the captioned object's pixels that the kept tokens hold
     * ({@link ObjectShare}), with this run's masks and with random masks of the same size drawn from the same noise;
     * null without masks or object geometry.
     */
    private double[] objectShare(int i, AClipStep.Batch batch, int[][] keepIndex, int kept) {
        if (keepIndex == null || keepIndex[0] == null) {
            return null;
        }
        int B = batch.B(), V = settings.views(), S = model.vision.imageSize(), p = model.vision.patch();
        int cell = settings.patchesPerCell(), g = model.vision.grid() / cell;
        Dataset.Coverage[] cov = new Dataset.Coverage[B]; // the object's coverage once per image, shared by its views
        int[] index = new int[B];
        for (int b = 0; b < B; b++) {
            index[b] = batches.sampleIndex((long) i * cfg.batch() + b); // serially: the permutation is cached
        }
        // one task per image (a data set is called from several threads): each image's coverage is its own
        Parallel.forEach(B, b -> cov[b] = train.objectCoverage(index[b]));
        for (Dataset.Coverage c : cov) {
            if (c == null) {
                return null;
            }
        }
        double sum = 0, sumRandom = 0;
        int n = 0;
        for (int v = 0; v < V; v++) {
            int[] random = HOST_SELECTOR.select(new float[B * g * g], batch.noise()[v], B, g, cell,
                    TokenSelector.Strategy.RANDOM, settings.keepCells(), settings.mixedTopCells()).keepIndex();
            for (int b = 0; b < B; b++) {
                int[] box = java.util.Arrays.copyOfRange(batch.viewBoxes(), (b * V + v) * 4, (b * V + v) * 4 + 4);
                double[] mass = ObjectShare.patchMass(cov[b].values(), cov[b].height(), cov[b].width(), box, S, p);
                double a = ObjectShare.keptShare(mass, keepIndex[v], b * kept, kept, 1.0);
                double rnd = ObjectShare.keptShare(mass, random, b * kept, kept, 1.0);
                if (Double.isFinite(a) && Double.isFinite(rnd)) {
                    sum += a;
                    sumRandom += rnd;
                    n++;
                }
            }
        }
        return n == 0 ? null : new double[] {sum / n, sumRandom / n};
    }

    /** §7 EMA update of every EMA parameter (BatchNorm running buffers excluded) from the online weights. */
    public static void updateEma(Components c, Model model, double momentum) {
        if (model.ema.isEmpty()) {
            return;
        }
        List<float[]> teacher = new ArrayList<>();
        List<float[]> student = new ArrayList<>();
        model.ema.forEach((name, t) -> {
            if (!SslHead.isBuffer(name)) {
                Tensor online = model.online.get(name);
                if (online == null) {
                    throw new IllegalArgumentException("EMA weight '" + name + "' has no online twin");
                }
                teacher.add(t.floats());
                student.add(online.floats());
            }
        });
        c.emaUpdate().updateAll(teacher, student, momentum);
    }

    /** The tensors AdamW updates: every online weight but the BatchNorm running buffers. */
    public static Map<String, Tensor> trainable(Map<String, Tensor> online) {
        Map<String, Tensor> params = new LinkedHashMap<>();
        online.forEach((name, t) -> {
            if (!SslHead.isBuffer(name)) {
                params.put(name, t);
            }
        });
        return params;
    }

    /** §6: the logit scale is clamped to [0, ln 100] after every optimiser step; returns the clamped value. */
    public static float clampLogitScale(Map<String, Tensor> online) {
        float[] ls = online.get(Model.LOGIT_SCALE).floats();
        ls[0] = Math.max(0f, Math.min(Model.LOGIT_SCALE_MAX, ls[0]));
        return ls[0];
    }

    /** The run's state: online and EMA weights, optimiser moments, step, config and tokenizer (with its vocabulary). */
    public Checkpoint checkpoint() {
        engine.syncToHost();
        return RunState.checkpoint(step, cfg, model, optimizer, tokenizer);
    }
}
