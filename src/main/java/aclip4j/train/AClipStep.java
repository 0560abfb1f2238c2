package aclip4j.train;

import aclip4j.tensor.Tensor;
import aclip4j.loss.ClipLoss;
import aclip4j.loss.LossPass;
import aclip4j.loss.TotalLoss;
import aclip4j.loss.ViewPairs;
import aclip4j.mask.AttentionScore;
import aclip4j.mask.TokenSelector;
import aclip4j.tower.SslHead;
import aclip4j.tower.TextTower;
import aclip4j.tower.VisionConfig;
import aclip4j.tower.VisionTower;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The forward and backward of one A-CLIP micro-batch, in the order of SPEC §7 (paper Fig. 2), top-down:
 * EMA view → EMA score map (§3) → per-view scores (§5.1) → cells (§5.2) → kept tokens (§5.3–5.5) → online towers
 * (§1, §2) → losses (§6) → gradients of every online weight. The EMA update before it and the AdamW step after it
 * belong to {@link Trainer} (they run once per optimiser step, not per micro-batch).
 */
public final class AClipStep {
    private AClipStep() {}

    /**
     * What one step computes (fixed for a run).
     *
     * @param views        online views V
     * @param patchesPerCell r, patches per side of a mask cell (§5.2; a cell is always an r×r block of patches, and
     *                     {@code --mask-cell} gives its side in pixels, r·p)
     * @param keepCells    cells kept per view K (§5.3); ignored for CLIP
     * @param mixedTopCells for {@code mixed}: cells kept by score first
     * @param ssl          the §6 loss between views
     * @param emaImageSize Se, the EMA view resolution (S for A-CLIP, S/2 for A-CLIP-eff)
     * @param bnPerView    SSL heads run once per view (BatchNorm statistics over B rows) instead of once over all
     *                     V·B rows as the official code does (§6)
     */
    public record Settings(Variant variant, int views, int patchesPerCell, int keepCells, TokenSelector.Strategy strategy,
                           int mixedTopCells, AttentionScore.Layers scoreLayers, Ssl ssl, boolean byol,
                           double temperature, boolean simclrSameView, double wSsl, double wByol,
                           boolean freezePatchEmbed, int emaImageSize, boolean bnPerView) {
        public boolean simclr() {
            return ssl == Ssl.SIMCLR;
        }

        public boolean simsiam() {
            return ssl == Ssl.SIMSIAM;
        }

        /** These settings with another selection strategy (the random masks of {@code --mask-warmup}). */
        public Settings withStrategy(TokenSelector.Strategy other) {
            return new Settings(variant, views, patchesPerCell, keepCells, other, mixedTopCells, scoreLayers, ssl, byol,
                    temperature, simclrSameView, wSsl, wByol, freezePatchEmbed, emaImageSize, bnPerView);
        }

        /** Patch tokens each online view keeps: K·r·r with masks, all {@code N} without (CLIP). */
        public int keptTokens(int N) {
            return variant.masks() ? keepCells * patchesPerCell * patchesPerCell : N;
        }

        /** Whether token selection reads the EMA score map (A-CLIP variants). */
        public boolean attentive() {
            return variant.ema;
        }
    }

    /**
     * One micro-batch.
     *
     * @param views     [V][B*3*S*S] normalised online views
     * @param emaView   [B*3*Se*Se] the normalised EMA view (null without an EMA tower)
     * @param viewBoxes [B,V,4] view boxes (top, left, h, w) in source pixels
     * @param emaBox    [B,4] the enclosing EMA box
     * @param tokens    [B,ctx] caption token ids
     * @param noise     [V][B*g*g] uniform noise for random / mixed selection
     */
    public record Batch(int B, float[][] views, float[] emaView, int[] viewBoxes, int[] emaBox, int[] tokens,
                        float[][] noise) {}

    /**
     * @param keepIndex  [V][B*kept] the kept tokens of each view (null entries for CLIP: every token)
     * @param grads      gradient of {@code loss} for every trainable online weight
     * @param buffers    refreshed BatchNorm running statistics of the online heads, by full name
     * @param keptTokens patch tokens each view kept
     */
    public record Result(float loss, float clipLoss, float sslLoss, float byolLoss, float[] clipLossPerView,
                         int[][] keepIndex, Map<String, Tensor> grads, Map<String, Tensor> buffers, int keptTokens,
                         double maskingSeconds) {}

    /**
     * §5 for one view: the shared score map {@code [B, Ge*Ge]} → view scores → cells → the kept patch tokens
     * {@code [B, K*r*r]}, ascending. Without a score map (FLIP-style random masking) the noise alone chooses.
     */
    public static int[] keptTokens(Components c, Settings s, float[] scoreMap, int B, int Ge, int[] emaBox,
                                   int[] viewBox, int G, float[] noise) {
        int r = s.patchesPerCell(), g = G / r;
        float[] cells = scoreMap == null ? new float[B * g * g]
                : c.cellPooling().pool(c.viewScores().viewScores(scoreMap, B, Ge, emaBox, viewBox, G), B, G, r);
        TokenSelector.Strategy strategy = scoreMap != null ? s.strategy() : TokenSelector.Strategy.RANDOM;
        return c.tokenSelector().select(cells, noise, B, g, r, strategy, s.keepCells(), s.mixedTopCells()).keepIndex();
    }

    /**
     * One micro-batch, stage by stage: 1. the EMA tower (§3), 2. the kept tokens of each view (§5), 3. the online
     * towers (§1, §2), 4. the losses (§6), 5. the backward pass to every online weight's gradient.
     */
    public static Result run(Components c, Model m, Settings s, Batch batch) {
        checkBatch(m, s, batch);
        VisionTower.Pass ema = emaForward(c, m, s, batch);
        long maskStart = System.nanoTime(); // wall time of §5 alone, for `aclip4j bench` (no effect on the numbers)
        int[][] keep = keptTokensPerView(c, m, s, batch, ema);
        double maskingSeconds = (System.nanoTime() - maskStart) / 1e9;
        if (ema != null) {
            ema.release(); // what follows reads only its CLS rows; the online passes reuse its activations
        }
        int kept = s.keptTokens(m.vision.tokens());
        Towers towers = onlineTowers(c, m, s, batch, keep, kept);
        Losses losses = losses(c, m, s, batch.B(), towers, ema);
        Map<String, Tensor> grads = backward(c, m, s, towers, losses);
        TotalLoss.Result<float[][]> total = losses.total;
        return new Result(total.loss(), total.clipLoss(), total.sslLoss(), total.byolLoss(),
                losses.clip.lossPerView(), keep, grads, losses.buffers, kept, maskingSeconds);
    }

    /** The batch fits the run: V views of {@code B*3*S*S} values each. */
    public static void checkBatch(Model m, Settings s, Batch batch) {
        int B = batch.B(), V = s.views(), S = m.vision.imageSize();
        if (batch.views().length != V) {
            throw new IllegalArgumentException("batch has " + batch.views().length + " views, the run uses " + V);
        }
        for (int v = 0; v < V; v++) {
            if (batch.views()[v].length != B * 3 * S * S) {
                throw new IllegalArgumentException("view " + v + " has " + batch.views()[v].length
                        + " values, expected B*3*S*S = " + B * 3 * S * S);
            }
        }
    }

    /**
     * Stage 1: the EMA tower on the full EMA view, no gradient: its CLS for BYOL's target and, for the attentive
     * variants, the CLS attention rows the §3 score map is made of. Null without an EMA tower.
     */
    static VisionTower.Pass emaForward(Components c, Model m, Settings s, Batch batch) {
        if (!s.variant().ema) {
            return null;
        }
        Map<String, Tensor> emaWeights = s.emaImageSize() == m.vision.imageSize() ? m.ema
                : aclip4j.tower.PositionEmbedding.atResolution(m.ema, m.vision, s.emaImageSize()); // A-CLIP-eff, §1.7
        return c.emaVision().forward(emaWeights, batch.emaView(), batch.B(), null, 0, s.attentive(),
                s.scoreLayers() == AttentionScore.Layers.LAST);
    }

    /**
     * §3: the score map {@code [B, Ge*Ge]} of a tower pass that kept its CLS attention rows, through
     * {@code mask/AttentionScore}.
     */
    public static float[] scoreMap(Components c, VisionTower.Pass pass, VisionConfig v, int B, int imageSize) {
        int Ge = imageSize / v.patch();
        return c.attentionScore().fromTowerRows(pass.clsAttention(), B, v.heads(), Ge * Ge + 1);
    }

    /** Stage 2: each view's kept tokens (§5); null entries for CLIP, which keeps every token. */
    static int[][] keptTokensPerView(Components c, Model m, Settings s, Batch batch, VisionTower.Pass ema) {
        float[] scoreMap = s.variant().masks() && s.attentive()
                ? scoreMap(c, ema, m.vision, batch.B(), s.emaImageSize()) : null;
        return keptTokensPerView(c, s, scoreMap, batch, m.vision);
    }

    /**
     * §5 for every view from the score map {@code [B, Ge*Ge]} (null for random masks); null entries for CLIP. The
     * resident ND4J engine calls it with the score map its EMA graph computed.
     */
    public static int[][] keptTokensPerView(Components c, Settings s, float[] scoreMap, Batch batch, VisionConfig v) {
        int V = s.views(), B = batch.B();
        int[][] keep = new int[V][];
        if (s.variant().masks()) {
            int Ge = s.emaImageSize() / v.patch();
            for (int i = 0; i < V; i++) {
                keep[i] = keptTokens(c, s, scoreMap, B, Ge, batch.emaBox(), viewBoxes(batch.viewBoxes(), B, V, i),
                        v.grid(), batch.noise()[i]);
            }
        }
        return keep;
    }

    /** The online towers' passes: one vision pass per view, its features view-major, and the text pass. */
    record Towers(List<VisionTower.Pass> views, float[] imageEmbed, float[][] cls, TextTower.Pass text) {}

    /** Stage 3: the online vision tower on each view's kept tokens (§1), the text tower on the captions (§2). */
    static Towers onlineTowers(Components c, Model m, Settings s, Batch batch, int[][] keep, int kept) {
        int V = s.views(), B = batch.B(), E = m.vision.embed();
        List<VisionTower.Pass> viewPasses = new ArrayList<>();
        float[] imageEmbed = new float[V * B * E];
        float[][] cls = new float[V][];
        for (int v = 0; v < V; v++) {
            VisionTower.Pass p = c.vision().forward(m.online, batch.views()[v], B, keep[v],
                    keep[v] == null ? 0 : kept, false, false);
            System.arraycopy(p.features(), 0, imageEmbed, v * B * E, B * E);
            viewPasses.add(p);
            cls[v] = p.cls();
        }
        return new Towers(viewPasses, imageEmbed, cls, c.text().forward(m.online, batch.tokens(), B));
    }

    /** Stage 4's passes: the loss terms, the heads they ran through, and the heads' refreshed BatchNorm buffers. */
    static final class Losses {
        ClipLoss.Pass clip;
        HeadOverViews simclrMlp, simsiamPred, byolProj, byolPred;
        TotalLoss.Result<float[][]> total;
        final Map<String, Tensor> buffers = new LinkedHashMap<>();
    }

    /**
     * Stage 4 (§6): CLIP's loss over every view; SimCLR or SimSiam between views, each SSL head over all views at
     * once (V·B rows, view-major, one BatchNorm call) as the official code does, or per view with bnPerView; BYOL
     * from each view's prediction to the EMA projector's target; their weighted sum.
     */
    static Losses losses(Components c, Model m, Settings s, int B, Towers t, VisionTower.Pass ema) {
        int V = s.views(), E = m.vision.embed();
        Losses l = new Losses();
        float logitScale = m.online.get(Model.LOGIT_SCALE).floats()[0];
        l.clip = c.clipLoss().forward(t.imageEmbed(), t.text().features(), logitScale, V, B, E);

        LossPass<float[][]> sslPass = null;
        if (s.simclr() || s.simsiam()) {
            requireViews(V, s.ssl());
            int out = m.heads.simclrOut();
            HeadOverViews z = new HeadOverViews(c.simclrHead(), Model.sub(m.online, Model.SIMCLR), t.cls(), B,
                    s.bnPerView());
            l.simclrMlp = z;
            Model.putPrefixed(l.buffers, Model.SIMCLR, z.buffers);
            if (s.simclr()) {
                sslPass = ViewPairs.of(V, (a, b2) -> c.simclrLoss().forward(z.out[a], z.out[b2], B, out,
                        s.temperature(), s.simclrSameView()));
            } else {
                HeadOverViews p = new HeadOverViews(c.byolPredictor(), Model.sub(m.online, Model.SIMSIAM_PRED), z.out,
                        B, s.bnPerView());
                l.simsiamPred = p;
                Model.putPrefixed(l.buffers, Model.SIMSIAM_PRED, p.buffers);
                sslPass = ViewPairs.of(V, (a, b2) -> c.simsiamLoss().forward(p.out[a], p.out[b2], z.out[a], z.out[b2],
                        B, out));
            }
        }

        LossPass<float[]> byolPass = null;
        if (s.byol()) {
            if (ema == null) {
                throw new IllegalArgumentException("BYOL needs the EMA tower: variant " + s.variant() + " has none");
            }
            l.byolProj = new HeadOverViews(c.byolProjector(), Model.sub(m.online, Model.BYOL_PROJ), t.cls(), B,
                    s.bnPerView());
            l.byolPred = new HeadOverViews(c.byolPredictor(), Model.sub(m.online, Model.BYOL_PRED), l.byolProj.out, B,
                    s.bnPerView());
            Model.putPrefixed(l.buffers, Model.BYOL_PROJ, l.byolProj.buffers);
            Model.putPrefixed(l.buffers, Model.BYOL_PRED, l.byolPred.buffers);
            float[] preds = concat(l.byolPred.out);
            // the target: the EMA projector on the EMA CLS, batch statistics over its B rows, no gradient (§6)
            float[] target = c.byolProjector().forward(Model.sub(m.ema, Model.BYOL_PROJ), ema.cls(), B, true).out();
            byolPass = c.byolLoss().forward(preds, target, V, B, m.heads.byolOut());
        }
        l.total = TotalLoss.combine(l.clip, sslPass, byolPass, new TotalLoss.Weights(s.wSsl(), s.wByol()));
        return l;
    }

    /**
     * Stage 5: the backward pass in reverse order, heads → CLS gradients, towers → every online weight's gradient.
     * A later view's gradient arrays, once added into the first view's, go back to the vision tower
     * ({@link VisionTower#recycle}), as do the frozen patch embedding's.
     */
    static Map<String, Tensor> backward(Components c, Model m, Settings s, Towers t, Losses l) {
        int V = s.views(), B = t.cls()[0].length / m.vision.width();
        Map<String, Tensor> grads = new LinkedHashMap<>();
        float[][] dCls = new float[V][B * m.vision.width()];
        if (l.total.ssl() != null) {
            float[][] dOut = l.total.ssl();
            if (l.simsiamPred != null) { // into z through the predictor; z's own stop-gradient role adds nothing
                dOut = l.simsiamPred.backward(dOut, grads, Model.SIMSIAM_PRED);
            }
            float[][] dIn = l.simclrMlp.backward(dOut, grads, Model.SIMCLR);
            for (int v = 0; v < V; v++) {
                add(dCls[v], dIn[v]);
            }
        }
        if (l.total.byol() != null) {
            float[][] dPred = split(l.total.byol(), V);
            float[][] dIn = l.byolProj.backward(l.byolPred.backward(dPred, grads, Model.BYOL_PRED), grads,
                    Model.BYOL_PROJ);
            for (int v = 0; v < V; v++) {
                add(dCls[v], dIn[v]);
            }
        }
        float[][] dFeat = split(l.total.clip().imageEmbed(), V);
        for (int v = 0; v < V; v++) {
            c.vision().recycle(addAll(grads, "", t.views().get(v).backward(dFeat[v], dCls[v])));
        }
        addAll(grads, "", t.text().backward(l.total.clip().textEmbed()));
        grads.put(Model.LOGIT_SCALE, Tensor.scalar(l.total.clip().logitScale()));
        if (s.freezePatchEmbed()) { // §1.1: the official code freezes the patch embedding
            Map<String, Tensor> frozen = new LinkedHashMap<>();
            for (String name : List.of(aclip4j.tower.Weights.PATCH_WEIGHT, aclip4j.tower.Weights.PATCH_BIAS)) {
                Tensor g = grads.remove(name);
                if (g != null) {
                    frozen.put(name, g);
                }
            }
            c.vision().recycle(frozen);
        }
        return grads;
    }

    /** Column v of [B,V,4] boxes as [B,4]. */
    static int[] viewBoxes(int[] boxes, int B, int V, int v) {
        int[] out = new int[B * 4];
        for (int b = 0; b < B; b++) {
            System.arraycopy(boxes, (b * V + v) * 4, out, b * 4, 4);
        }
        return out;
    }

    /**
     * One SSL head over the rows of every view (§6). Official: one call on the views' rows concatenated view-major
     * ({@code V·B} rows), so each BatchNorm takes its statistics over all of them and refreshes its running
     * statistics once; {@code perView}: one call per view ({@code B} rows each), the running statistics passed from
     * one call to the next.
     */
    static final class HeadOverViews {
        /** The head's output per view, [B,Dout] each. */
        final float[][] out;
        /** The head's BatchNorm buffers after the calls. */
        final Map<String, Tensor> buffers;
        private final SslHead head;
        private final SslHead.Pass[] passes;
        private final int V;

        HeadOverViews(SslHead head, Map<String, Tensor> weights, float[][] in, int B, boolean perView) {
            this.head = head;
            this.V = in.length;
            if (perView) {
                passes = new SslHead.Pass[V];
                out = new float[V][];
                for (int v = 0; v < V; v++) {
                    passes[v] = head.forward(weights, in[v], B, true);
                    weights = withBuffers(weights, passes[v].runningStats());
                    out[v] = passes[v].out();
                }
            } else {
                passes = new SslHead.Pass[] {head.forward(weights, concat(in), V * B, true)};
                weights = withBuffers(weights, passes[0].runningStats());
                out = split(passes[0].out(), V);
            }
            buffers = onlyBuffers(weights);
        }

        /**
         * Adds the head's weight gradients into {@code grads} under {@code prefix}; returns dInput per view. A later
         * view's gradient arrays, once added into the first view's, go back to the head ({@link SslHead#recycle}).
         */
        float[][] backward(float[][] dOut, Map<String, Tensor> grads, String prefix) {
            if (passes.length == V) { // one pass per view (or a single view)
                float[][] dIn = new float[V][];
                for (int v = 0; v < V; v++) {
                    SslHead.Grads g = passes[v].backward(dOut[v]);
                    head.recycle(addAll(grads, prefix, g.weights()), "");
                    dIn[v] = g.dInput();
                }
                return dIn;
            }
            SslHead.Grads g = passes[0].backward(concat(dOut));
            head.recycle(addAll(grads, prefix, g.weights()), "");
            return split(g.dInput(), V);
        }
    }

    /** The rows of every view, view-major. */
    static float[] concat(float[][] views) {
        int n = 0;
        for (float[] x : views) {
            n += x.length;
        }
        float[] all = new float[n];
        int o = 0;
        for (float[] x : views) {
            System.arraycopy(x, 0, all, o, x.length);
            o += x.length;
        }
        return all;
    }

    /** The inverse of {@link #concat}: V equal view-major parts. */
    static float[][] split(float[] all, int V) {
        int n = all.length / V;
        float[][] parts = new float[V][];
        for (int v = 0; v < V; v++) {
            parts[v] = java.util.Arrays.copyOfRange(all, v * n, (v + 1) * n);
        }
        return parts;
    }

    private static void requireViews(int V, Ssl ssl) {
        if (V < 2) {
            throw new IllegalArgumentException("--ssl " + ssl.id() + " compares two views, the run has " + V);
        }
    }

    private static Map<String, Tensor> withBuffers(Map<String, Tensor> weights, Map<String, Tensor> stats) {
        if (stats.isEmpty()) {
            return weights;
        }
        Map<String, Tensor> m = new LinkedHashMap<>(weights);
        m.putAll(stats);
        return m;
    }

    private static Map<String, Tensor> onlyBuffers(Map<String, Tensor> weights) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        weights.forEach((k, v) -> {
            if (SslHead.isBuffer(k)) {
                m.put(k, v);
            }
        });
        return m;
    }

    /**
     * grads[prefix + name] += g for every entry (views share the tower, so their gradients add). A backward's
     * gradient tensors are its caller's (every backend builds them per call), so the first of a name is kept, not
     * copied, and later ones are added into it. Returns those added (under their names in g): nothing reads them
     * afterwards, so their tower may have them back.
     */
    static Map<String, Tensor> addAll(Map<String, Tensor> grads, String prefix, Map<String, Tensor> g) {
        Map<String, Tensor> spent = new LinkedHashMap<>();
        g.forEach((k, v) -> {
            Tensor have = grads.get(prefix + k);
            if (have == null) {
                grads.put(prefix + k, v);
            } else {
                add(have.floats(), v.floats());
                spent.put(k, v);
            }
        });
        return spent;
    }

    /** into += x, elementwise (the gradients of views and heads that share a tensor add up). */
    static void add(float[] into, float[] x) {
        aclip4j.kernel.Bulk.accumulate(aclip4j.kernel.Lanes.preferred(), into, x);
    }
}
