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
     * @param cell         patches per mask-cell side r (§5.2)
     * @param keepCells    cells kept per view K (§5.3); ignored for CLIP
     * @param mixedTopCells for {@code mixed}: cells kept by score first
     * @param ssl          simclr | simsiam | none
     * @param emaImageSize Se, the EMA view resolution (S for A-CLIP, S/2 for A-CLIP-eff)
     * @param bnPerView    SSL heads run once per view (BatchNorm statistics over B rows) instead of once over all
     *                     V·B rows as the official code does (§6)
     */
    public record Settings(Variant variant, int views, int cell, int keepCells, TokenSelector.Strategy strategy,
                           int mixedTopCells, AttentionScore.Layers scoreLayers, String ssl, boolean byol,
                           double temperature, boolean simclrSameView, double wSsl, double wByol,
                           boolean freezePatchEmbed, int emaImageSize, boolean bnPerView) {
        public boolean simclr() {
            return ssl.equals("simclr");
        }

        public boolean simsiam() {
            return ssl.equals("simsiam");
        }

        /** These settings with another selection strategy (the random masks of {@code --mask-warmup}). */
        public Settings withStrategy(TokenSelector.Strategy other) {
            return new Settings(variant, views, cell, keepCells, other, mixedTopCells, scoreLayers, ssl, byol,
                    temperature, simclrSameView, wSsl, wByol, freezePatchEmbed, emaImageSize, bnPerView);
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
        int r = s.cell(), g = G / r;
        float[] cells = scoreMap == null ? new float[B * g * g]
                : c.cellPooling().pool(c.viewScores().viewScores(scoreMap, B, Ge, emaBox, viewBox, G), B, G, r);
        TokenSelector.Strategy strategy = scoreMap != null ? s.strategy() : TokenSelector.Strategy.RANDOM;
        return c.tokenSelector().select(cells, noise, B, g, r, strategy, s.keepCells(), s.mixedTopCells()).keepIndex();
    }

    public static Result run(Components c, Model m, Settings s, Batch batch) {
        int B = batch.B();
        int V = s.views();
        int S = m.vision.imageSize();
        int G = m.vision.grid();
        int N = m.vision.tokens();
        int D = m.vision.width();
        int E = m.vision.embed();
        if (batch.views().length != V) {
            throw new IllegalArgumentException("batch has " + batch.views().length + " views, the run uses " + V);
        }
        for (int v = 0; v < V; v++) {
            if (batch.views()[v].length != B * 3 * S * S) {
                throw new IllegalArgumentException("view " + v + " has " + batch.views()[v].length
                        + " values, expected B*3*S*S = " + B * 3 * S * S);
            }
        }

        // 1. EMA tower on the full EMA view, no gradient: CLS for BYOL's target, attention scores for masking (§3).
        VisionTower.Pass emaPass = null;
        int Ge = 0;
        if (s.variant().ema) {
            Map<String, Tensor> emaWeights = s.emaImageSize() == S ? m.ema // A-CLIP-eff: §1.7 resampled positions
                    : aclip4j.tower.SimdVisionTower.atResolution(m.ema, m.vision, s.emaImageSize());
            Ge = s.emaImageSize() / m.vision.patch();
            emaPass = c.emaVision().forward(emaWeights, batch.emaView(), B, null, 0, s.attentive(),
                    s.scoreLayers() == AttentionScore.Layers.LAST);
        }

        // 2. Kept tokens per view (§5): shared score map → view scores → cells → selection.
        int r = s.cell();
        int[][] keep = new int[V][];
        int kept = N;
        long maskStart = System.nanoTime(); // wall time of §5 alone, for `aclip4j bench` (no effect on the numbers)
        if (s.variant().masks()) {
            kept = s.keepCells() * r * r;
            for (int v = 0; v < V; v++) {
                keep[v] = keptTokens(c, s, s.attentive() ? emaPass.scores() : null, B, Ge, batch.emaBox(),
                        viewBoxes(batch.viewBoxes(), B, V, v), G, batch.noise()[v]);
            }
        }

        double maskingSeconds = (System.nanoTime() - maskStart) / 1e9;

        // 3. Online vision tower on each view's kept tokens (§1), text tower on the captions (§2).
        List<VisionTower.Pass> viewPasses = new ArrayList<>();
        float[] imageEmbed = new float[V * B * E];
        for (int v = 0; v < V; v++) {
            VisionTower.Pass p = c.vision().forward(m.online, batch.views()[v], B, keep[v],
                    keep[v] == null ? 0 : kept, false, false);
            System.arraycopy(p.features(), 0, imageEmbed, v * B * E, B * E);
            viewPasses.add(p);
        }
        TextTower.Pass textPass = c.text().forward(m.online, batch.tokens(), B);
        float logitScale = m.online.get(Model.LOGIT_SCALE).floats()[0];

        // 4. Losses (§6).
        ClipLoss.Pass clipPass = c.clipLoss().forward(imageEmbed, textPass.features(), logitScale, V, B, E);
        Map<String, Tensor> buffers = new LinkedHashMap<>();
        Map<String, Tensor> grads = new LinkedHashMap<>();
        float[][] dCls = new float[V][B * D];

        // §6: every SSL head sees all views at once (V·B rows, view-major, one BatchNorm call) as the official code
        // does, or, with bnPerView, each view on its own.
        LossPass<float[][]> sslPass = null;
        HeadOverViews mlp = null, siamPred = null;
        float[][] cls = new float[V][];
        for (int v = 0; v < V; v++) {
            cls[v] = viewPasses.get(v).cls();
        }
        if (s.simclr() || s.simsiam()) {
            requireViews(V, s.ssl());
            int out = m.heads.simclrOut();
            mlp = new HeadOverViews(c.simclrHead(), Model.sub(m.online, Model.SIMCLR), cls, B, s.bnPerView());
            Model.putPrefixed(buffers, Model.SIMCLR, mlp.buffers);
            HeadOverViews z = mlp;
            if (s.simclr()) {
                sslPass = ViewPairs.of(V, (a, b2) -> c.simclrLoss().forward(z.out[a], z.out[b2], B, out,
                        s.temperature(), s.simclrSameView()));
            } else {
                siamPred = new HeadOverViews(c.byolPredictor(), Model.sub(m.online, Model.SIMSIAM_PRED), z.out, B,
                        s.bnPerView());
                Model.putPrefixed(buffers, Model.SIMSIAM_PRED, siamPred.buffers);
                HeadOverViews p = siamPred;
                sslPass = ViewPairs.of(V, (a, b2) -> c.simsiamLoss().forward(p.out[a], p.out[b2], z.out[a], z.out[b2],
                        B, out));
            }
        }

        LossPass<float[]> byolPass = null;
        HeadOverViews proj = null, pred = null;
        int Ob = m.heads.byolOut();
        if (s.byol()) {
            if (emaPass == null) {
                throw new IllegalArgumentException("BYOL needs the EMA tower: variant " + s.variant() + " has none");
            }
            proj = new HeadOverViews(c.byolProjector(), Model.sub(m.online, Model.BYOL_PROJ), cls, B, s.bnPerView());
            pred = new HeadOverViews(c.byolPredictor(), Model.sub(m.online, Model.BYOL_PRED), proj.out, B,
                    s.bnPerView());
            Model.putPrefixed(buffers, Model.BYOL_PROJ, proj.buffers);
            Model.putPrefixed(buffers, Model.BYOL_PRED, pred.buffers);
            float[] preds = concat(pred.out);
            // the target: the EMA projector on the EMA CLS, batch statistics over its B rows, no gradient (§6)
            float[] target = c.byolProjector().forward(Model.sub(m.ema, Model.BYOL_PROJ), emaPass.cls(), B, true).out();
            byolPass = c.byolLoss().forward(preds, target, V, B, Ob);
        }

        TotalLoss.Result<float[][]> total = TotalLoss.combine(clipPass, sslPass, byolPass,
                new TotalLoss.Weights(s.wSsl(), s.wByol()));

        // 5. Backward, the reverse order: heads → CLS gradients; towers → weight gradients.
        if (total.ssl() != null) {
            float[][] dOut = total.ssl();
            if (siamPred != null) { // into z through the predictor; z's own stop-gradient role adds nothing
                dOut = siamPred.backward(dOut, grads, Model.SIMSIAM_PRED);
            }
            float[][] dIn = mlp.backward(dOut, grads, Model.SIMCLR);
            for (int v = 0; v < V; v++) {
                add(dCls[v], dIn[v]);
            }
        }
        if (total.byol() != null) {
            float[][] dPred = split(total.byol(), V);
            float[][] dIn = proj.backward(pred.backward(dPred, grads, Model.BYOL_PRED), grads, Model.BYOL_PROJ);
            for (int v = 0; v < V; v++) {
                add(dCls[v], dIn[v]);
            }
        }
        float[][] dFeat = split(total.clip().imageEmbed(), V);
        for (int v = 0; v < V; v++) {
            addAll(grads, "", viewPasses.get(v).backward(dFeat[v], dCls[v]));
        }
        addAll(grads, "", textPass.backward(total.clip().textEmbed()));
        grads.put(Model.LOGIT_SCALE, Tensor.scalar(total.clip().logitScale()));
        if (s.freezePatchEmbed()) { // §1.1: the official code freezes the patch embedding
            grads.remove("patch_embed.proj.weight");
            grads.remove("patch_embed.proj.bias");
        }
        return new Result(total.loss(), total.clipLoss(), total.sslLoss(), total.byolLoss(), clipPass.lossPerView(),
                keep, grads, buffers, kept, maskingSeconds);
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
        private final SslHead.Pass[] passes;
        private final int V;

        HeadOverViews(SslHead head, Map<String, Tensor> weights, float[][] in, int B, boolean perView) {
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

        /** Adds the head's weight gradients into {@code grads} under {@code prefix}; returns dInput per view. */
        float[][] backward(float[][] dOut, Map<String, Tensor> grads, String prefix) {
            if (passes.length == V) { // one pass per view (or a single view)
                float[][] dIn = new float[V][];
                for (int v = 0; v < V; v++) {
                    SslHead.Grads g = passes[v].backward(dOut[v]);
                    addAll(grads, prefix, g.weights());
                    dIn[v] = g.dInput();
                }
                return dIn;
            }
            SslHead.Grads g = passes[0].backward(concat(dOut));
            addAll(grads, prefix, g.weights());
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

    private static void requireViews(int V, String ssl) {
        if (V < 2) {
            throw new IllegalArgumentException("--ssl " + ssl + " compares two views, the run has " + V);
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

    /** grads[prefix + name] += g for every entry (views share the tower, so their gradients add). */
    static void addAll(Map<String, Tensor> grads, String prefix, Map<String, Tensor> g) {
        g.forEach((k, v) -> {
            Tensor have = grads.get(prefix + k);
            if (have == null) {
                grads.put(prefix + k, Model.copy(v));
            } else {
                add(have.floats(), v.floats());
            }
        });
    }

    /** into += x, elementwise (the gradients of views and heads that share a tensor add up). */
    static void add(float[] into, float[] x) {
        aclip4j.kernel.Vec.accumulate(aclip4j.kernel.Lanes.preferred(), into, 0, x, 0, into.length);
    }
}
