package aclip4j.tower;

import aclip4j.tensor.Tensor;
import aclip4j.kernel.Embedding;
import aclip4j.kernel.Gather;
import aclip4j.kernel.Lanes;
import aclip4j.kernel.LayerNorm;
import aclip4j.kernel.Matmul;
import java.util.Map;

/**
 * The text tower of SPEC §2 on the Vector API kernels, forward and hand-written backward.
 *
 * <p>Data path: tokens (B,ctx) → token + positional embedding (B,ctx,W) → L_t causal pre-norm blocks
 * (LN eps 1e-5, QuickGELU MLP of width 4W) → the row at each sequence's largest token id, first occurrence (B,W)
 * → ln_final → @ text_projection (B,E). {@code ctx} may be shorter than the configured context: the mask is
 * causal, so the first ctx positions compute the same values either way. ln_final runs on the pooled rows only
 * (row-wise, the rest is never read).
 *
 * <p>Every step is a kernel/ call at the tower's {@link Lanes} (the linear layers included), so
 * {@code Lanes.SCALAR} runs the scalar specification and each vector width gives the same bits (docs/SPEC.md §13);
 * the tower adds no float arithmetic of its own.
 */
public final class SimdTextTower implements TextTower {
    /** LayerNorm eps of CLIP's text transformer (§2). */
    public static final float EPS = 1e-5f;

    /** CLIP's text block: LayerNorm eps 1e-5, QuickGELU, causal attention (§2). */
    private static final SimdBlock.Kind BLOCK = new SimdBlock.Kind(SimdBlock.Act.QUICK_GELU, true, EPS);

    private final TextConfig cfg;
    private final Lanes lanes;
    /** The activations of this tower's passes (and the gradient arrays given back), recycled. */
    private final ActivationPool pool;

    public SimdTextTower(TextConfig cfg) {
        this(cfg, Lanes.preferred());
    }

    public SimdTextTower(TextConfig cfg, Lanes lanes) {
        this(cfg, lanes, new ActivationPool());
    }

    SimdTextTower(TextConfig cfg, Lanes lanes, ActivationPool pool) {
        this.cfg = cfg;
        this.lanes = lanes;
        this.pool = pool;
    }

    public TextConfig config() {
        return cfg;
    }

    /** The arrays go back to this tower's pool (the 100 MB token-embedding gradient of clip-base among them). */
    @Override
    public void recycle(Map<String, Tensor> grads) {
        Weights.recycle(pool, Weights.textShapes(cfg), grads);
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
        final SimdBlock.Params[] blocks;

        W(Map<String, Tensor> m) {
            Map<String, int[]> s = Weights.textShapes(cfg);
            wte = get(m, s, Weights.TOKEN_EMBEDDING);
            wpe = get(m, s, Weights.POSITIONAL_EMBEDDING);
            lnfW = get(m, s, Weights.LN_FINAL_WEIGHT);
            lnfB = get(m, s, Weights.LN_FINAL_BIAS);
            proj = get(m, s, Weights.TEXT_PROJECTION);
            blocks = new SimdBlock.Params[cfg.depth()];
            for (int l = 0; l < blocks.length; l++) {
                blocks[l] = new SimdBlock.Params(m, s, Weights.BlockNames.text(l));
            }
            projT = SimdVisionTower.transpose(proj, cfg.width(), cfg.embed());
        }

        private float[] get(Map<String, Tensor> m, Map<String, int[]> shapes, String name) {
            return Weights.require(m, name, shapes.get(name));
        }
    }

    /** One forward pass and its saved activations. */
    public final class SimdPass implements TextTower.Pass {
        final W w;
        final int[] tokens;
        final int B, ctx;
        final int[] eot;
        final SimdBlock.Saved[] layers;
        float[] x, pooled, pooledMean, pooledRstd, lnf, features;
        private boolean released;

        SimdPass(W w, int[] tokens, int B, int ctx) {
            this.w = w;
            this.tokens = tokens;
            this.B = B;
            this.ctx = ctx;
            this.eot = eotPositions(tokens, B, ctx);
            this.layers = new SimdBlock.Saved[cfg.depth()];
        }

        void run() {
            int C = cfg.width(), H = cfg.heads(), F = 4 * C, BT = B * ctx, E = cfg.embed();
            x = pool.take(BT * C);
            Embedding.embeddingForward(lanes, x, tokens, w.wte, w.wpe, B, ctx, C);
            float[] cur = x;
            for (int l = 0; l < layers.length; l++) {
                layers[l] = SimdBlock.forward(lanes, pool, BLOCK, w.blocks[l], cur, B, ctx, C, H, F);
                cur = layers[l].out;
            }
            pooled = new float[B * C];
            Gather.gatherForward(pooled, cur, eot, B, ctx, 1, C);
            lnf = new float[B * C]; pooledMean = new float[B]; pooledRstd = new float[B];
            LayerNorm.layernormForward(lanes, lnf, pooledMean, pooledRstd, pooled, w.lnfW, w.lnfB, B, C, EPS);
            features = new float[B * E];
            Matmul.matmulForward(lanes, features, lnf, w.projT, null, B, C, E);
        }

        @Override
        public float[] features() {
            return features;
        }

        /** (B,ctx,W) the residual stream after the last block, before pooling and ln_final. */
        public float[] hidden() {
            if (released) {
                throw new IllegalStateException("this pass's activations were recycled by its backward");
            }
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
            if (released) {
                throw new IllegalStateException("backward runs once per pass: this pass's activations were recycled");
            }
            Map<String, Tensor> g = Weights.zeros(Weights.textShapes(cfg), n -> true, pool::zeros);
            float[] dlnf = new float[B * C];
            float[] dProjT = new float[E * C];
            Matmul.matmulBackward(lanes, dlnf, dProjT, null, dFeatures, lnf, w.projT, B, C, E);
            float[] back = SimdVisionTower.transpose(dProjT, E, C);
            System.arraycopy(back, 0, g.get(Weights.TEXT_PROJECTION).floats(), 0, back.length);
            float[] dpooled = new float[B * C];
            LayerNorm.layernormBackward(lanes, dpooled, g.get(Weights.LN_FINAL_WEIGHT).floats(), g.get(Weights.LN_FINAL_BIAS).floats(),
                    dlnf, pooled, w.lnfW, pooledMean, pooledRstd, B, C);
            float[] dcur = pool.zeros(BT * C);
            Gather.gatherBackward(lanes, dcur, dpooled, eot, B, ctx, 1, C);
            for (int l = layers.length - 1; l >= 0; l--) {
                float[] din = SimdBlock.backward(lanes, pool, BLOCK, w.blocks[l], layers[l], dcur, g, B, ctx, C, H, F);
                pool.give(dcur);
                SimdBlock.release(pool, layers[l]); // block l's output fed block l + 1, whose backward is done
                dcur = din;
            }
            released = true;
            pool.give(x); // the first block's input
            Embedding.embeddingBackward(lanes, g.get(Weights.TOKEN_EMBEDDING).floats(),
                    g.get(Weights.POSITIONAL_EMBEDDING).floats(), dcur, tokens, B, ctx, C);
            pool.give(dcur);
            return g;
        }
    }
}
