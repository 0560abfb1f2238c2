package aclip4j.tower;

import aclip4j.golden.Tensor;
import aclip4j.kernel.Attention;
import aclip4j.kernel.Embedding;
import aclip4j.kernel.Gather;
import aclip4j.kernel.Lanes;
import aclip4j.kernel.LayerNorm;
import aclip4j.kernel.Matmul;
import aclip4j.kernel.QuickGelu;
import aclip4j.kernel.Residual;
import java.util.Map;

/**
 * The text tower of SPEC §2 on the Vector API kernels, forward and hand-written backward.
 *
 * <p>Data path: tokens (B,ctx) → token + positional embedding (B,ctx,W) → L_t causal pre-norm blocks
 * (LN eps 1e-5, QuickGELU MLP of width 4W) → the row at each sequence's largest token id, first occurrence (B,W)
 * → ln_final → @ text_projection (B,E). {@code ctx} may be shorter than the configured context: the mask is
 * causal, so the first ctx positions compute the same values either way. ln_final runs on the pooled rows only
 * (row-wise, the rest is never read).
 */
public final class SimdTextTower implements TextTower {
    /** LayerNorm eps of CLIP's text transformer (§2). */
    public static final float EPS = 1e-5f;

    private final TextConfig cfg;
    private final Lanes lanes;

    public SimdTextTower(TextConfig cfg) {
        this(cfg, Lanes.preferred());
    }

    public SimdTextTower(TextConfig cfg, Lanes lanes) {
        this.cfg = cfg;
        this.lanes = lanes;
    }

    public TextConfig config() {
        return cfg;
    }

    @Override
    public SimdPass forward(Map<String, Tensor> weights, int[] tokens, int B) {
        if (B <= 0 || tokens == null || tokens.length % B != 0 || tokens.length / B == 0
                || tokens.length / B > cfg.context()) {
            throw new IllegalArgumentException("tokens hold " + (tokens == null ? "null" : tokens.length)
                    + " ids for B = " + B + ", expected [B,ctx] with 1 <= ctx <= context " + cfg.context());
        }
        int ctx = tokens.length / B;
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= cfg.vocab()) {
                throw new IllegalArgumentException("token [" + i / ctx + "," + i % ctx + "] = " + tokens[i]
                        + ", expected an id in [0," + cfg.vocab() + ")");
            }
        }
        SimdPass pass = new SimdPass(new W(weights), tokens.clone(), B, ctx);
        pass.run();
        return pass;
    }

    /** Each row's pooling position: the first position of its largest token id (the EOT token, §2). */
    public static int[] eotPositions(int[] tokens, int B, int ctx) {
        int[] pos = new int[B];
        for (int b = 0; b < B; b++) {
            int best = 0;
            for (int t = 1; t < ctx; t++) {
                if (tokens[b * ctx + t] > tokens[b * ctx + best]) {
                    best = t;
                }
            }
            pos[b] = best;
        }
        return pos;
    }

    private final class W {
        final float[] wte, wpe, lnfW, lnfB, proj, projT;
        final float[][] ln1w, ln1b, inW, inB, outW, outB, ln2w, ln2b, fcW, fcB, cpW, cpB;

        W(Map<String, Tensor> m) {
            Map<String, int[]> s = Weights.textShapes(cfg);
            wte = get(m, s, "token_embedding.weight");
            wpe = get(m, s, "positional_embedding");
            lnfW = get(m, s, "ln_final.weight");
            lnfB = get(m, s, "ln_final.bias");
            proj = get(m, s, "text_projection");
            int L = cfg.depth();
            ln1w = new float[L][]; ln1b = new float[L][]; inW = new float[L][]; inB = new float[L][];
            outW = new float[L][]; outB = new float[L][]; ln2w = new float[L][]; ln2b = new float[L][];
            fcW = new float[L][]; fcB = new float[L][]; cpW = new float[L][]; cpB = new float[L][];
            for (int l = 0; l < L; l++) {
                String b = "transformer.resblocks." + l + ".";
                ln1w[l] = get(m, s, b + "ln_1.weight");
                ln1b[l] = get(m, s, b + "ln_1.bias");
                inW[l] = get(m, s, b + "attn.in_proj_weight");
                inB[l] = get(m, s, b + "attn.in_proj_bias");
                outW[l] = get(m, s, b + "attn.out_proj.weight");
                outB[l] = get(m, s, b + "attn.out_proj.bias");
                ln2w[l] = get(m, s, b + "ln_2.weight");
                ln2b[l] = get(m, s, b + "ln_2.bias");
                fcW[l] = get(m, s, b + "mlp.c_fc.weight");
                fcB[l] = get(m, s, b + "mlp.c_fc.bias");
                cpW[l] = get(m, s, b + "mlp.c_proj.weight");
                cpB[l] = get(m, s, b + "mlp.c_proj.bias");
            }
            projT = SimdVisionTower.transpose(proj, cfg.width(), cfg.embed());
        }

        private float[] get(Map<String, Tensor> m, Map<String, int[]> shapes, String name) {
            return Weights.require(m, name, shapes.get(name));
        }
    }

    /** Saved activations of one block; shapes with BT = B*ctx. */
    private static final class Layer {
        float[] in, ln1, ln1Mean, ln1Rstd, qkv, att, atty, res2, ln2, ln2Mean, ln2Rstd, fch, fchAct, out;
    }

    /** One forward pass and its saved activations. */
    public final class SimdPass implements TextTower.Pass {
        final W w;
        final int[] tokens;
        final int B, ctx;
        final int[] eot;
        final Layer[] layers;
        float[] x, pooled, pooledMean, pooledRstd, lnf, features;

        SimdPass(W w, int[] tokens, int B, int ctx) {
            this.w = w;
            this.tokens = tokens;
            this.B = B;
            this.ctx = ctx;
            this.eot = eotPositions(tokens, B, ctx);
            this.layers = new Layer[cfg.depth()];
        }

        void run() {
            int C = cfg.width(), H = cfg.heads(), F = 4 * C, BT = B * ctx, E = cfg.embed();
            x = new float[BT * C];
            Embedding.embeddingForward(lanes, x, tokens, w.wte, w.wpe, B, ctx, C);
            float[] cur = x;
            for (int l = 0; l < layers.length; l++) {
                Layer a = new Layer();
                a.in = cur;
                a.ln1 = new float[BT * C]; a.ln1Mean = new float[BT]; a.ln1Rstd = new float[BT];
                LayerNorm.layernormForward(lanes, a.ln1, a.ln1Mean, a.ln1Rstd, cur, w.ln1w[l], w.ln1b[l], BT, C, EPS);
                a.qkv = new float[BT * 3 * C];
                Matmul.matmulForward(a.qkv, a.ln1, w.inW[l], w.inB[l], BT, C, 3 * C);
                a.att = new float[B * H * ctx * ctx];
                a.atty = new float[BT * C];
                Attention.attentionForward(lanes, a.atty, a.att, a.qkv, B, ctx, C, H, true);
                float[] o = new float[BT * C];
                Matmul.matmulForward(o, a.atty, w.outW[l], w.outB[l], BT, C, C);
                a.res2 = new float[BT * C];
                Residual.residualForward(lanes, a.res2, cur, o, BT * C);
                a.ln2 = new float[BT * C]; a.ln2Mean = new float[BT]; a.ln2Rstd = new float[BT];
                LayerNorm.layernormForward(lanes, a.ln2, a.ln2Mean, a.ln2Rstd, a.res2, w.ln2w[l], w.ln2b[l], BT, C, EPS);
                a.fch = new float[BT * F];
                Matmul.matmulForward(a.fch, a.ln2, w.fcW[l], w.fcB[l], BT, C, F);
                a.fchAct = new float[BT * F];
                QuickGelu.quickGeluForward(lanes, a.fchAct, a.fch, BT * F);
                float[] cp = new float[BT * C];
                Matmul.matmulForward(cp, a.fchAct, w.cpW[l], w.cpB[l], BT, F, C);
                a.out = new float[BT * C];
                Residual.residualForward(lanes, a.out, a.res2, cp, BT * C);
                layers[l] = a;
                cur = a.out;
            }
            pooled = new float[B * C];
            Gather.gatherForward(pooled, cur, eot, B, ctx, 1, C);
            lnf = new float[B * C]; pooledMean = new float[B]; pooledRstd = new float[B];
            LayerNorm.layernormForward(lanes, lnf, pooledMean, pooledRstd, pooled, w.lnfW, w.lnfB, B, C, EPS);
            features = new float[B * E];
            Matmul.matmulForward(features, lnf, w.projT, null, B, C, E);
        }

        @Override
        public float[] features() {
            return features;
        }

        /** (B,ctx,W) the residual stream after the last block, before pooling and ln_final. */
        public float[] hidden() {
            return layers.length == 0 ? x : layers[layers.length - 1].out;
        }

        /** (B) the pooled position of each row. */
        public int[] eot() {
            return eot.clone();
        }

        @Override
        public Map<String, Tensor> backward(float[] dFeatures) {
            int C = cfg.width(), H = cfg.heads(), F = 4 * C, BT = B * ctx, E = cfg.embed();
            if (dFeatures == null || dFeatures.length != B * E) {
                throw new IllegalArgumentException("dFeatures must be [B,E] = [" + B + "," + E + "]");
            }
            Map<String, Tensor> g = Weights.zeros(Weights.textShapes(cfg), n -> true);
            float[] dlnf = new float[B * C];
            float[] dProjT = new float[E * C];
            Matmul.matmulBackward(dlnf, dProjT, null, dFeatures, lnf, w.projT, B, C, E);
            float[] back = SimdVisionTower.transpose(dProjT, E, C);
            System.arraycopy(back, 0, g.get("text_projection").floats(), 0, back.length);
            float[] dpooled = new float[B * C];
            LayerNorm.layernormBackward(lanes, dpooled, g.get("ln_final.weight").floats(), g.get("ln_final.bias").floats(),
                    dlnf, pooled, w.lnfW, pooledMean, pooledRstd, B, C);
            float[] dcur = new float[BT * C];
            Gather.gatherBackward(lanes, dcur, dpooled, eot, B, ctx, 1, C);
            for (int l = layers.length - 1; l >= 0; l--) {
                Layer a = layers[l];
                String p = "transformer.resblocks." + l + ".";
                float[] dres2 = dcur.clone();
                float[] dact = new float[BT * F];
                Matmul.matmulBackward(dact, g.get(p + "mlp.c_proj.weight").floats(), g.get(p + "mlp.c_proj.bias").floats(),
                        dcur, a.fchAct, w.cpW[l], BT, F, C);
                float[] dfch = new float[BT * F];
                QuickGelu.quickGeluBackward(lanes, dfch, a.fch, dact, BT * F);
                float[] dln2 = new float[BT * C];
                Matmul.matmulBackward(dln2, g.get(p + "mlp.c_fc.weight").floats(), g.get(p + "mlp.c_fc.bias").floats(),
                        dfch, a.ln2, w.fcW[l], BT, C, F);
                LayerNorm.layernormBackward(lanes, dres2, g.get(p + "ln_2.weight").floats(), g.get(p + "ln_2.bias").floats(),
                        dln2, a.res2, w.ln2w[l], a.ln2Mean, a.ln2Rstd, BT, C);
                float[] din = dres2.clone();
                float[] datty = new float[BT * C];
                Matmul.matmulBackward(datty, g.get(p + "attn.out_proj.weight").floats(),
                        g.get(p + "attn.out_proj.bias").floats(), dres2, a.atty, w.outW[l], BT, C, C);
                float[] dqkv = new float[BT * 3 * C];
                Attention.attentionBackward(lanes, dqkv, datty, a.qkv, a.att, B, ctx, C, H, true);
                float[] dln1 = new float[BT * C];
                Matmul.matmulBackward(dln1, g.get(p + "attn.in_proj_weight").floats(), g.get(p + "attn.in_proj_bias").floats(),
                        dqkv, a.ln1, w.inW[l], BT, C, 3 * C);
                LayerNorm.layernormBackward(lanes, din, g.get(p + "ln_1.weight").floats(), g.get(p + "ln_1.bias").floats(),
                        dln1, a.in, w.ln1w[l], a.ln1Mean, a.ln1Rstd, BT, C);
                dcur = din;
            }
            Embedding.embeddingBackward(lanes, g.get("token_embedding.weight").floats(),
                    g.get("positional_embedding").floats(), dcur, tokens, B, ctx, C);
            return g;
        }
    }
}
