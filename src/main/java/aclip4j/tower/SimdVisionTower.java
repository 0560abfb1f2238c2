package aclip4j.tower;

import aclip4j.tensor.Tensor;
import aclip4j.kernel.Gather;
import aclip4j.kernel.Lanes;
import aclip4j.kernel.LayerNorm;
import aclip4j.kernel.Matmul;
import aclip4j.kernel.Patchify;
import aclip4j.kernel.VitEmbed;
import java.util.Map;

/**
 * The vision tower of SPEC §1 on the Vector API kernels, forward and hand-written backward (llm.c style).
 *
 * <p>Data path: images (B,3,S,S) → patches (B,N,3pp) → patch embedding (B,N,D) → CLS and positions (B,T,D)
 * → kept tokens (B,Tk,D), Tk = 1+K or T → L pre-norm blocks → LN of the CLS rows (B,D) → @ image_projection (B,E).
 * Positions are added before tokens are dropped (§1.2); dropping keeps CLS first and the kept patches in
 * ascending order (§1.3). Only the CLS rows go through the final LayerNorm: it is row-wise and nothing else is
 * read, so the result equals timm's, which normalises every token.
 *
 * <p>Every step is a kernel/ call at the tower's {@link Lanes} (the linear layers included), so
 * {@code Lanes.SCALAR} runs the scalar specification and each vector width gives the same bits (docs/SPEC.md §13).
 * With {@code withClsAttention} it also hands out the CLS query's attention rows, which {@code mask/AttentionScore}
 * turns into the §3 score.
 */
public final class SimdVisionTower implements VisionTower {
    /** LayerNorm eps of timm's ViT (§1.4). */
    public static final float EPS = 1e-6f;

    /** timm's ViT block: LayerNorm eps 1e-6, exact GELU, no mask (§1.4). */
    private static final SimdBlock.Kind BLOCK = new SimdBlock.Kind(SimdBlock.Act.GELU, false, EPS);

    private final VisionConfig cfg;
    private final Lanes lanes;
    /** The activations of this tower's passes, recycled from one to the next. */
    private final ActivationPool pool;

    public SimdVisionTower(VisionConfig cfg) {
        this(cfg, Lanes.preferred());
    }

    public SimdVisionTower(VisionConfig cfg, Lanes lanes) {
        this(cfg, lanes, new ActivationPool());
    }

    SimdVisionTower(VisionConfig cfg, Lanes lanes, ActivationPool pool) {
        this.cfg = cfg;
        this.lanes = lanes;
        this.pool = pool;
    }

    public VisionConfig config() {
        return cfg;
    }

    /** The arrays go back to this tower's pool: from the second step on, a backward allocates no gradient array. */
    @Override
    public void recycle(Map<String, Tensor> grads) {
        Weights.recycle(pool, Weights.visionShapes(cfg), grads);
    }

    @Override
    public SimdPass forward(Map<String, Tensor> weights, float[] images, int B, int[] keepIndex, int K,
                            boolean withClsAttention, boolean lastLayerOnly) {
        int S = cfg.imageSize(), N = cfg.tokens(), T = N + 1, D = cfg.width(), p = cfg.patch(), P = 3 * p * p;
        if (B <= 0) {
            throw new IllegalArgumentException("batch B = " + B + ", expected at least 1");
        }
        if (images == null || images.length != B * 3 * S * S) {
            throw new IllegalArgumentException("images hold " + (images == null ? "null" : images.length)
                    + " floats, expected B*3*S*S = " + B + "*3*" + S + "*" + S);
        }
        for (int i = 0; i < images.length; i++) {
            if (!Float.isFinite(images[i])) {
                throw new IllegalArgumentException("images[" + i + "] = " + images[i] + ", expected a finite pixel");
            }
        }
        int[] index = keepIndex == null ? null : tokenIndex(keepIndex, B, K, N);
        if (withClsAttention && (index != null || cfg.depth() == 0)) {
            throw new IllegalArgumentException("CLS attention for the §3 score needs the full unmasked view and depth >= 1"
                    + ", got keepIndex " + (index == null ? "null" : "[B," + K + "]") + ", depth " + cfg.depth());
        }
        W w = new W(weights);
        float[] patches = pool.take(B * N * P);
        Patchify.patchifyForward(patches, images, B, S, p);
        float[] pe = pool.take(B * N * D);
        Matmul.matmulForward(lanes, pe, patches, w.patchW, w.patchB, B * N, P, D);
        float[] x0 = pool.take(B * T * D);
        VitEmbed.vitEmbedForward(lanes, x0, pe, w.cls, w.pos, B, N, D);
        pool.give(pe);
        float[] x = x0;
        int Tk = T;
        if (index != null) {
            Tk = 1 + K;
            x = pool.take(B * Tk * D);
            Gather.gatherForward(x, x0, index, B, T, Tk, D);
        }
        SimdPass pass = new SimdPass(w, B, Tk, index, patches, x0, x);
        pass.runBlocksAndHead();
        if (withClsAttention) {
            pass.clsAttention = clsAttentionRows(pass, lastLayerOnly);
        }
        return pass;
    }

    /**
     * Runs the blocks and the head on given token embeddings (B,Tk,D), the sequence {@link #forward} builds after
     * token dropping. Its backward returns gradients for the block, norm and projection weights only (the
     * embedding weights get zeros).
     */
    public SimdPass forwardTokens(Map<String, Tensor> weights, float[] tokens, int B, int Tk) {
        if (B <= 0 || Tk <= 0 || tokens.length != B * Tk * cfg.width()) {
            throw new IllegalArgumentException("tokens hold " + tokens.length + " floats, expected B*Tk*D = "
                    + B + "*" + Tk + "*" + cfg.width());
        }
        SimdPass pass = new SimdPass(new W(weights), B, Tk, null, null, null, pool.copy(tokens));
        pass.runBlocksAndHead();
        return pass;
    }

    /** The gather index (B,1+K): CLS (row 0), then 1 + each kept patch index; refuses unsorted or out-of-range. */
    private static int[] tokenIndex(int[] keepIndex, int B, int K, int N) {
        if (K < 0 || K > N || keepIndex.length != B * K) {
            throw new IllegalArgumentException("keepIndex holds " + keepIndex.length + " ints for K = " + K
                    + ", expected [B,K] = [" + B + "," + K + "] with 0 <= K <= N = " + N);
        }
        int[] index = new int[B * (1 + K)];
        for (int b = 0; b < B; b++) {
            int prev = -1;
            for (int k = 0; k < K; k++) {
                int v = keepIndex[b * K + k];
                if (v <= prev || v >= N) {
                    throw new IllegalArgumentException("keepIndex[" + b + "," + k + "] = " + v
                            + ": kept patch indices must be strictly ascending in [0," + N + ") (§1.3)");
                }
                prev = v;
                index[b * (1 + K) + 1 + k] = 1 + v;
            }
        }
        return index;
    }

    /** The CLS query's softmax row of every head, {@code [L',B,H,T]}, for the blocks asked for (§3 takes them). */
    private float[] clsAttentionRows(SimdPass pass, boolean lastLayerOnly) {
        int B = pass.B, T = pass.Tk, H = cfg.heads(), L = cfg.depth();
        int first = lastLayerOnly ? L - 1 : 0;
        float[] rows = new float[(L - first) * B * H * T];
        for (int l = first; l < L; l++) {
            float[] att = pass.layers[l].att;
            for (int b = 0; b < B; b++) {
                for (int h = 0; h < H; h++) {
                    System.arraycopy(att, ((b * H + h) * T) * T, rows, (((l - first) * B + b) * H + h) * T, T);
                }
            }
        }
        return rows;
    }

    /** Weights of one call, checked against the config. */
    private final class W {
        final float[] patchW, patchB, cls, pos, normW, normB, proj, projT;
        final SimdBlock.Params[] blocks;

        W(Map<String, Tensor> m) {
            Map<String, int[]> s = Weights.visionShapes(cfg);
            patchW = get(m, s, Weights.PATCH_WEIGHT);
            patchB = get(m, s, Weights.PATCH_BIAS);
            cls = get(m, s, Weights.CLS_TOKEN);
            pos = get(m, s, Weights.POS_EMBED);
            normW = get(m, s, Weights.NORM_WEIGHT);
            normB = get(m, s, Weights.NORM_BIAS);
            proj = get(m, s, Weights.IMAGE_PROJECTION);
            blocks = new SimdBlock.Params[cfg.depth()];
            for (int l = 0; l < blocks.length; l++) {
                blocks[l] = new SimdBlock.Params(m, s, Weights.BlockNames.vision(l));
            }
            projT = transpose(proj, cfg.width(), cfg.embed());
        }

        private float[] get(Map<String, Tensor> m, Map<String, int[]> shapes, String name) {
            return Weights.require(m, name, shapes.get(name));
        }
    }

    /** a (R,C) → (C,R). */
    static float[] transpose(float[] a, int R, int C) {
        float[] t = new float[R * C];
        for (int r = 0; r < R; r++) {
            for (int c = 0; c < C; c++) {
                t[c * R + r] = a[r * C + c];
            }
        }
        return t;
    }

    /**
     * One forward pass and its saved activations. Its {@link #backward} (once) gives the activations back to the
     * tower's pool as it goes, and {@link #release} gives back those of a pass that runs no backward; after either
     * the activation accessors refuse.
     */
    public final class SimdPass implements VisionTower.Pass {
        final W w;
        final int B, Tk;
        final int[] index;     // (B,Tk) gather index into the T tokens, null when unmasked or from tokens
        final float[] patches; // (B,N,3pp), null when run from tokens
        final float[] x0;      // (B,T,D) embedded tokens before dropping
        final float[] x;       // (B,Tk,D) the blocks' input
        final SimdBlock.Saved[] layers;
        float[] clsIn, clsMean, clsRstd, cls, features, clsAttention;
        private boolean released;

        SimdPass(W w, int B, int Tk, int[] index, float[] patches, float[] x0, float[] x) {
            this.w = w;
            this.B = B;
            this.Tk = Tk;
            this.index = index;
            this.patches = patches;
            this.x0 = x0;
            this.x = x;
            this.layers = new SimdBlock.Saved[cfg.depth()];
        }

        void runBlocksAndHead() {
            int D = cfg.width(), H = cfg.heads(), F = cfg.mlpRatio() * D, BT = B * Tk;
            float[] cur = x;
            int[] clsRows = new int[B]; // the CLS token, row 0 of each image
            for (int l = 0; l < layers.length; l++) {
                boolean last = l == layers.length - 1; // only its CLS rows are read: the rest stops after attention
                layers[l] = SimdBlock.forward(lanes, pool, BLOCK, w.blocks[l], cur, B, Tk, D, H, F,
                        last ? clsRows : null);
                cur = layers[l].out;
            }
            clsIn = new float[B * D];
            if (layers.length == 0) {
                Gather.gatherForward(clsIn, cur, clsRows, B, Tk, 1, D);
            } else {
                System.arraycopy(cur, 0, clsIn, 0, B * D); // the last block's output is its CLS rows, (B,D)
            }
            cls = new float[B * D]; clsMean = new float[B]; clsRstd = new float[B];
            LayerNorm.layernormForward(lanes, cls, clsMean, clsRstd, clsIn, w.normW, w.normB, B, D, EPS);
            features = new float[B * cfg.embed()];
            Matmul.matmulForward(lanes, features, cls, w.projT, null, B, D, cfg.embed());
        }

        @Override
        public float[] features() {
            return features;
        }

        @Override
        public float[] cls() {
            return cls;
        }

        @Override
        public float[] clsAttention() {
            return clsAttention;
        }

        /** (B,T,D) the embedded tokens before dropping (null when run from tokens). */
        public float[] embeddedTokens() {
            requireSaved();
            return x0;
        }

        /** (B,Tk,D) the tokens entering the first block. */
        public float[] blockInput() {
            requireSaved();
            return x;
        }

        /** Number of tokens the blocks saw (1 + K, or T). */
        public int tokensKept() {
            return Tk;
        }

        /** (B,H,Tk,Tk) the attention probabilities of block l. */
        public float[] attention(int l) {
            requireSaved();
            return layers[l].att;
        }

        private void requireSaved() {
            if (released) {
                throw new IllegalStateException("this pass's activations were recycled by its backward or release()");
            }
        }

        /** Gives the saved activations back to the tower's pool (a pass that runs no backward); idempotent. */
        @Override
        public void release() {
            if (released) {
                return;
            }
            released = true;
            for (SimdBlock.Saved a : layers) {
                if (a != null) {
                    SimdBlock.release(pool, a);
                }
            }
            pool.give(patches, x0, x == x0 ? null : x);
        }

        @Override
        public Map<String, Tensor> backward(float[] dFeatures, float[] dCls) {
            int D = cfg.width(), E = cfg.embed(), H = cfg.heads(), F = cfg.mlpRatio() * D, BT = B * Tk;
            int N = cfg.tokens(), T = N + 1, P = 3 * cfg.patch() * cfg.patch();
            if (dFeatures == null || dFeatures.length != B * E) {
                throw new IllegalArgumentException("dFeatures must be [B,E] = [" + B + "," + E + "]");
            }
            if (dCls != null && dCls.length != B * D) {
                throw new IllegalArgumentException("dCls must be [B,D] = [" + B + "," + D + "] or null");
            }
            if (released) {
                throw new IllegalStateException("backward runs once per pass: this pass's activations were recycled");
            }
            Map<String, int[]> shapes = Weights.visionShapes(cfg);
            Map<String, Tensor> g = Weights.zeros(shapes, n -> true, pool::zeros);
            float[] dClsOut = dCls == null ? new float[B * D] : dCls.clone();
            float[] dProjT = new float[E * D];
            Matmul.matmulBackward(lanes, dClsOut, dProjT, null, dFeatures, cls, w.projT, B, D, E);
            float[] dProj = g.get(Weights.IMAGE_PROJECTION).floats();
            float[] back = transpose(dProjT, E, D);
            System.arraycopy(back, 0, dProj, 0, back.length);
            float[] dClsIn = new float[B * D];
            LayerNorm.layernormBackward(lanes, dClsIn, g.get(Weights.NORM_WEIGHT).floats(), g.get(Weights.NORM_BIAS).floats(),
                    dClsOut, clsIn, w.normW, clsMean, clsRstd, B, D);
            float[] dcur; // the last block's output gradient: its CLS rows only (every row without blocks)
            if (layers.length == 0) {
                dcur = pool.zeros(BT * D);
                Gather.gatherBackward(lanes, dcur, dClsIn, new int[B], B, Tk, 1, D);
            } else {
                dcur = pool.copy(dClsIn);
            }
            for (int l = layers.length - 1; l >= 0; l--) {
                float[] din = SimdBlock.backward(lanes, pool, BLOCK, w.blocks[l], layers[l], dcur, g, B, Tk, D, H, F);
                pool.give(dcur);
                SimdBlock.release(pool, layers[l]); // block l's output fed block l + 1, whose backward is done
                dcur = din;
            }
            released = true;
            pool.give(x0 == x ? null : x0, x); // the first block's input, read by its backward only
            if (patches == null) {
                pool.give(dcur);
                return g; // run from tokens: no embedding weights involved
            }
            float[] dx0 = dcur;
            if (index != null) {
                dx0 = pool.zeros(B * T * D);
                Gather.gatherBackward(lanes, dx0, dcur, index, B, T, Tk, D);
                pool.give(dcur);
            }
            float[] dpe = pool.zeros(B * N * D);
            VitEmbed.vitEmbedBackward(lanes, dpe, g.get(Weights.CLS_TOKEN).floats(), g.get(Weights.POS_EMBED).floats(), dx0, B, N, D);
            pool.give(dx0);
            Matmul.matmulBackward(lanes, null, g.get(Weights.PATCH_WEIGHT).floats(),
                    g.get(Weights.PATCH_BIAS).floats(), dpe, patches, w.patchW, B * N, P, D);
            pool.give(dpe, patches);
            return g;
        }
    }
}
