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
 * <p><b>Only what the features depend on.</b> Because the mask is causal, a row's features depend on its positions up
 * to its end of text and on nothing after it, and a position after it receives no gradient. So a pass runs the
 * blocks on the first {@code max(eot) + 1} positions of the batch (the longest caption, not the padded context: a
 * 77-token context holding 12-token captions costs a sixth), and its last block runs the output projection and the
 * MLP on the pooled rows alone ({@code SimdBlock}'s pooled rows). Each kernel works row by row or, in attention,
 * over earlier positions only, so the features keep their bits; the gradients too, the left-out positions' terms
 * having been zeros (up to the sign of an exact zero). {@link #withEveryPosition} runs every position through every
 * block, as the tower is written ({@code SimdTextTowerTest} compares the two bit for bit).
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
    /** Whether every position runs through every block ({@link #withEveryPosition}), or only what is read. */
    private final boolean everyPosition;

    public SimdTextTower(TextConfig cfg) {
        this(cfg, Lanes.preferred());
    }

    public SimdTextTower(TextConfig cfg, Lanes lanes) {
        this(cfg, lanes, new ActivationPool());
    }

    SimdTextTower(TextConfig cfg, Lanes lanes, ActivationPool pool) {
        this(cfg, lanes, pool, false);
    }

    private SimdTextTower(TextConfig cfg, Lanes lanes, ActivationPool pool, boolean everyPosition) {
        this.cfg = cfg;
        this.lanes = lanes;
        this.pool = pool;
        this.everyPosition = everyPosition;
    }

    /**
     * This tower, but every position of the given context runs through every block, so that
     * {@link SimdPass#hidden()} holds the whole residual stream (the same features and gradients, with more work). By
     * default a pass stops at the batch's last end of text, and its last block after attention for all rows but the
     * pooled ones (the class comment).
     */
    public SimdTextTower withEveryPosition() {
        return new SimdTextTower(cfg, lanes, new ActivationPool(), true);
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
        // positions after every row's end of text feed nothing the tower returns: left out
        int used = everyPosition ? ctx : positionsRead(tokens, B, ctx);
        int[] run = firstPositions(tokens, B, ctx, used);
        SimdPass pass = new SimdPass(new W(weights), run, B, used);
        pass.run();
        return pass;
    }

    /**
     * The positions of a (B,ctx) batch its features depend on: up to the last end of text of any row,
     * {@code max(eot) + 1}. A pass runs these (unless made {@link #withEveryPosition}).
     */
    public static int positionsRead(int[] tokens, int B, int ctx) {
        int used = 0;
        for (int e : eotPositions(tokens, B, ctx)) {
            used = Math.max(used, e + 1);
        }
        return used;
    }

    /** The first {@code P} positions of each row of a {@code [B,ctx]} batch, as {@code [B,P]} (a new array). */
    public static int[] firstPositions(int[] tokens, int B, int ctx, int P) {
        if (P == ctx) {
            return tokens.clone();
        }
        int[] cut = new int[B * P];
        for (int b = 0; b < B; b++) {
            System.arraycopy(tokens, b * ctx, cut, b * P, P);
        }
        return cut;
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
                // only the last block's end-of-text rows are read: unless every position is asked for, the rest
                // of that block stops after attention
                boolean pooledOnly = l == layers.length - 1 && !everyPosition;
                layers[l] = SimdBlock.forward(lanes, pool, BLOCK, w.blocks[l], cur, B, ctx, C, H, F,
                        pooledOnly ? eot : null);
                cur = layers[l].out;
            }
            pooled = new float[B * C];
            if (layers.length == 0 || everyPosition) {
                Gather.gatherForward(pooled, cur, eot, B, ctx, 1, C);
            } else {
                System.arraycopy(cur, 0, pooled, 0, B * C); // the last block's output is its pooled rows, (B,C)
            }
            lnf = new float[B * C]; pooledMean = new float[B]; pooledRstd = new float[B];
            LayerNorm.layernormForward(lanes, lnf, pooledMean, pooledRstd, pooled, w.lnfW, w.lnfB, B, C, EPS);
            features = new float[B * E];
            Matmul.matmulForward(lanes, features, lnf, w.projT, null, B, C, E);
        }

        @Override
        public float[] features() {
            return features;
        }

        /**
         * (B,ctx,W) the residual stream after the last block, before pooling and ln_final; only for a tower made with
         * every position ({@link #withEveryPosition}).
         */
        public float[] hidden() {
            if (released) {
                throw new IllegalStateException("this pass's activations were recycled by its backward");
            }
            if (!everyPosition && layers.length > 0) {
                throw new IllegalStateException("the last block ran on the pooled rows only: hidden() needs a tower "
                        + "made withEveryPosition()");
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
            float[] dcur; // the last block's output gradient: the pooled rows alone when it kept only those
            if (layers.length == 0 || everyPosition) {
                dcur = pool.zeros(BT * C);
                Gather.gatherBackward(lanes, dcur, dpooled, eot, B, ctx, 1, C);
            } else {
                dcur = pool.copy(dpooled);
            }
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
