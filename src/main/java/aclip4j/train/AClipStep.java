package aclip4j.train;

import aclip4j.golden.Tensor;
import aclip4j.loss.ClipLoss;
import aclip4j.loss.LossPass;
import aclip4j.loss.TotalLoss;
import aclip4j.loss.ViewPairGrads;
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
     */
    public record Settings(Variant variant, int views, int cell, int keepCells, TokenSelector.Strategy strategy,
                           int mixedTopCells, AttentionScore.Layers scoreLayers, String ssl, boolean byol,
                           double temperature, boolean simclrSameView, double wSsl, double wByol,
                           boolean freezePatchEmbed, int emaImageSize) {
        public boolean simclr() {
            return ssl.equals("simclr");
        }

        public boolean simsiam() {
            return ssl.equals("simsiam");
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
                         int[][] keepIndex, Map<String, Tensor> grads, Map<String, Tensor> buffers, int keptTokens) {}

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
        int g = G / r;
        int[][] keep = new int[V][];
        int kept = N;
        if (s.variant().masks()) {
            kept = s.keepCells() * r * r;
            for (int v = 0; v < V; v++) {
                float[] cells;
                if (s.attentive()) {
                    float[] viewScores = c.viewScores().viewScores(emaPass.scores(), B, Ge, batch.emaBox(),
                            viewBoxes(batch.viewBoxes(), B, V, v), G);
                    cells = c.cellPooling().pool(viewScores, B, G, r);
                } else {
                    cells = null; // FLIP-style random selection reads the noise alone
                }
                TokenSelector.Strategy strategy = s.attentive() ? s.strategy() : TokenSelector.Strategy.RANDOM;
                if (cells == null) {
                    cells = new float[B * g * g];
                }
                keep[v] = c.tokenSelector().select(cells, batch.noise()[v], B, g, r, strategy, s.keepCells(),
                        s.mixedTopCells()).keepIndex();
            }
        }

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

        LossPass<ViewPairGrads> sslPass = null;
        SslHead.Pass[] mlp = new SslHead.Pass[2];
        SslHead.Pass[] siamPred = new SslHead.Pass[2];
        if (s.simclr() || s.simsiam()) {
            requireViews(V, s.ssl());
            Map<String, Tensor> mlpWeights = Model.sub(m.online, Model.SIMCLR);
            int out = m.heads.simclrOut();
            for (int v = 0; v < 2; v++) {
                mlp[v] = c.simclrHead().forward(mlpWeights, viewPasses.get(v).cls(), B, true);
                mlpWeights = withBuffers(mlpWeights, mlp[v].runningStats());
            }
            Model.putPrefixed(buffers, Model.SIMCLR, onlyBuffers(mlpWeights));
            if (s.simclr()) {
                sslPass = c.simclrLoss().forward(mlp[0].out(), mlp[1].out(), B, out, s.temperature(), s.simclrSameView());
            } else {
                Map<String, Tensor> predWeights = Model.sub(m.online, Model.SIMSIAM_PRED);
                for (int v = 0; v < 2; v++) {
                    siamPred[v] = c.byolPredictor().forward(predWeights, mlp[v].out(), B, true);
                    predWeights = withBuffers(predWeights, siamPred[v].runningStats());
                }
                Model.putPrefixed(buffers, Model.SIMSIAM_PRED, onlyBuffers(predWeights));
                sslPass = c.simsiamLoss().forward(siamPred[0].out(), siamPred[1].out(), mlp[0].out(), mlp[1].out(), B, out);
            }
        }

        LossPass<float[]> byolPass = null;
        SslHead.Pass[] proj = new SslHead.Pass[V];
        SslHead.Pass[] pred = new SslHead.Pass[V];
        int Ob = m.heads.byolOut();
        if (s.byol()) {
            if (emaPass == null) {
                throw new IllegalArgumentException("BYOL needs the EMA tower: variant " + s.variant() + " has none");
            }
            Map<String, Tensor> projWeights = Model.sub(m.online, Model.BYOL_PROJ);
            Map<String, Tensor> predWeights = Model.sub(m.online, Model.BYOL_PRED);
            float[] preds = new float[V * B * Ob];
            for (int v = 0; v < V; v++) {
                proj[v] = c.byolProjector().forward(projWeights, viewPasses.get(v).cls(), B, true);
                projWeights = withBuffers(projWeights, proj[v].runningStats());
                pred[v] = c.byolPredictor().forward(predWeights, proj[v].out(), B, true);
                predWeights = withBuffers(predWeights, pred[v].runningStats());
                System.arraycopy(pred[v].out(), 0, preds, v * B * Ob, B * Ob);
            }
            Model.putPrefixed(buffers, Model.BYOL_PROJ, onlyBuffers(projWeights));
            Model.putPrefixed(buffers, Model.BYOL_PRED, onlyBuffers(predWeights));
            // the target: the EMA projector on the EMA CLS, batch statistics, no gradient (§6)
            float[] target = c.byolProjector().forward(Model.sub(m.ema, Model.BYOL_PROJ), emaPass.cls(), B, true).out();
            byolPass = c.byolLoss().forward(preds, target, V, B, Ob);
        }

        TotalLoss.Result total = TotalLoss.combine(clipPass, sslPass, byolPass, new TotalLoss.Weights(s.wSsl(), s.wByol()));

        // 5. Backward, the reverse order: heads → CLS gradients; towers → weight gradients.
        if (total.ssl() != null) {
            float[][] dOut = {total.ssl().first(), total.ssl().second()};
            if (s.simsiam()) {
                for (int v = 0; v < 2; v++) {
                    SslHead.Grads gp = siamPred[v].backward(dOut[v]);
                    addAll(grads, Model.SIMSIAM_PRED, gp.weights());
                    dOut[v] = gp.dInput(); // into z_v through the predictor; z's own stop-gradient role adds nothing
                }
            }
            for (int v = 0; v < 2; v++) {
                SslHead.Grads gm = mlp[v].backward(dOut[v]);
                addAll(grads, Model.SIMCLR, gm.weights());
                add(dCls[v], gm.dInput());
            }
        }
        if (total.byol() != null) {
            for (int v = 0; v < V; v++) {
                float[] dPred = java.util.Arrays.copyOfRange(total.byol(), v * B * Ob, (v + 1) * B * Ob);
                SslHead.Grads gp = pred[v].backward(dPred);
                addAll(grads, Model.BYOL_PRED, gp.weights());
                SslHead.Grads gj = proj[v].backward(gp.dInput());
                addAll(grads, Model.BYOL_PROJ, gj.weights());
                add(dCls[v], gj.dInput());
            }
        }
        float[] dImage = total.clip().imageEmbed();
        for (int v = 0; v < V; v++) {
            float[] dFeat = java.util.Arrays.copyOfRange(dImage, v * B * E, (v + 1) * B * E);
            addAll(grads, "", viewPasses.get(v).backward(dFeat, dCls[v]));
        }
        addAll(grads, "", textPass.backward(total.clip().textEmbed()));
        grads.put(Model.LOGIT_SCALE, Tensor.scalar(total.clip().logitScale()));
        if (s.freezePatchEmbed()) { // §1.1: the official code freezes the patch embedding
            grads.remove("patch_embed.proj.weight");
            grads.remove("patch_embed.proj.bias");
        }
        return new Result(total.loss(), total.clipLoss(), total.sslLoss(), total.byolLoss(), clipPass.lossPerView(),
                keep, grads, buffers, kept);
    }

    /** Column v of [B,V,4] boxes as [B,4]. */
    static int[] viewBoxes(int[] boxes, int B, int V, int v) {
        int[] out = new int[B * 4];
        for (int b = 0; b < B; b++) {
            System.arraycopy(boxes, (b * V + v) * 4, out, b * 4, 4);
        }
        return out;
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
