package aclip4j.tower;

import static aclip4j.tower.Nd4jGraphs.heads;
import static aclip4j.tower.Nd4jGraphs.firstToken;
import static aclip4j.tower.Nd4jGraphs.layerNorm;
import static aclip4j.tower.Nd4jGraphs.linear;

import aclip4j.tensor.Tensor;
import aclip4j.tower.Nd4jGraphs.Graph;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The SPEC §1 vision tower (timm ViT, pre-norm), with the CLS attention rows of the §3 score, as a SameDiff graph; gradients by
 * SameDiff autodiff of {@code sum(features * dFeatures) + sum(cls * dCls)}.
 *
 * <p>A graph is built once per (B, K, withClsAttention, lastLayerOnly) and cached, because SameDiff graph building and
 * gradient-graph creation cost far more than a small forward. Weights are graph variables whose arrays are
 * replaced on every call; a graph is used by one thread at a time. The backward re-runs the forward inside
 * SameDiff (its gradient API takes placeholders, not saved activations).
 *
 * <p>Kept tokens (§1.3) are selected by a batched matmul with one-hot rows [B,K,N] built from keepIndex, not by
 * {@code gather}, whose SameDiff backward fails in 1.0.0-M2.1 (see {@link Nd4jGraphs#oneHot}).
 *
 * <p>{@code pos_embed} must be at this config's resolution: for the §1.7 EMA view at another size, resample it
 * first ({@code PositionEmbedding.atResolution}, a plain function of the weights) and use a config of that size.
 *
 * <p>The graph's float type is a constructor argument: FLOAT for the project, DOUBLE for finite-difference tests.
 */
public final class Nd4jVisionTower implements VisionTower {
    private static final double LN_EPS = 1e-6; // timm ViT, §1.4
    private static final int CACHE_SIZE = 8;

    private final VisionConfig cfg;
    private final DataType dtype;
    private final Map<Key, Graph> cache = Nd4jGraphs.lruCache(CACHE_SIZE);

    public Nd4jVisionTower(VisionConfig cfg) {
        this(cfg, DataType.FLOAT);
    }

    public Nd4jVisionTower(VisionConfig cfg, DataType dtype) {
        if (dtype != DataType.FLOAT && dtype != DataType.DOUBLE) {
            throw new IllegalArgumentException("graph dtype " + dtype + ", expected FLOAT or DOUBLE");
        }
        this.cfg = cfg;
        this.dtype = dtype;
    }

    public VisionConfig config() {
        return cfg;
    }


    @Override
    public Pass forward(Map<String, Tensor> weights, float[] images, int B, int[] keepIndex, int K,
                        boolean withClsAttention, boolean lastLayerOnly) {
        return forwardNd(weights, images, B, keepIndex, K, withClsAttention, lastLayerOnly);
    }

    /** {@link #forward} returning the ND4J pass, whose arrays keep the graph's float type. */
    public NdPass forwardNd(Map<String, Tensor> weights, float[] images, int B, int[] keepIndex, int K,
                            boolean withClsAttention, boolean lastLayerOnly) {
        int S = cfg.imageSize(), N = cfg.tokens();
        if (B <= 0) {
            throw new IllegalArgumentException("batch " + B + " must be positive");
        }
        if (images == null || images.length != (long) B * 3 * S * S) {
            throw new IllegalArgumentException("images hold " + (images == null ? "null" : images.length)
                    + " values, expected B*3*S*S = " + B + "*3*" + S + "*" + S);
        }
        if (keepIndex != null) {
            checkKeepIndex(keepIndex, B, K, N);
            if (withClsAttention) {
                throw new IllegalArgumentException("the §3 score's CLS attention comes from the unmasked tower:"
                        + " keepIndex must be null");
            }
        }
        if (withClsAttention && cfg.depth() == 0) {
            throw new IllegalArgumentException("the §3 score's CLS attention needs at least one block, depth is 0");
        }
        Map<String, INDArray> w = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : Weights.visionShapes(cfg).entrySet()) {
            w.put(e.getKey(), Nd4jGraphs.weight(weights, e.getKey(), dtype, e.getValue()));
        }
        Map<String, INDArray> ph = new HashMap<>();
        ph.put("images", Nd4jGraphs.input(images, dtype, B, 3, S, S));
        if (keepIndex != null) {
            aclip4j.nd.Traffic.in(4L * keepIndex.length);
            ph.put("keep_select", Nd4jGraphs.oneHot(Nd4j.createFromArray(keepIndex).reshape(B, K), N, dtype)); // [B,K,N]
        }
        Key key = new Key(B, keepIndex == null ? -1 : K, withClsAttention, withClsAttention && lastLayerOnly);
        Graph g = cache.computeIfAbsent(key, this::build);
        List<String> outs = new ArrayList<>(List.of("features", "cls"));
        if (withClsAttention) {
            outs.add("cls_attention");
        }
        Map<String, INDArray> res;
        synchronized (g) {
            g.bind(w);
            res = g.sd.output(ph, outs.toArray(new String[0]));
        }
        return new NdPass(g, w, ph, res.get("features").dup(), res.get("cls").dup(),
                withClsAttention ? res.get("cls_attention").dup() : null, B);
    }

    private static void checkKeepIndex(int[] keepIndex, int B, int K, int N) {
        if (K <= 0 || K > N || keepIndex.length != (long) B * K) {
            throw new IllegalArgumentException("keepIndex holds " + keepIndex.length + " values for K " + K
                    + ", expected B*K = " + B + "*K with 0 < K <= N = " + N);
        }
        for (int b = 0; b < B; b++) {
            for (int k = 0; k < K; k++) {
                int v = keepIndex[b * K + k];
                if (v < 0 || v >= N || (k > 0 && v <= keepIndex[b * K + k - 1])) {
                    throw new IllegalArgumentException("keepIndex[" + b + "][" + k + "] = " + v
                            + ": kept indices must be strictly ascending in 0.." + (N - 1) + " (§1.3)");
                }
            }
        }
    }

    private record Key(int B, int K, boolean withClsAttention, boolean lastLayerOnly) {}

    private Graph build(Key key) {
        int B = key.B(), S = cfg.imageSize(), p = cfg.patch(), G = cfg.grid(), N = cfg.tokens();
        int D = cfg.width(), H = cfg.heads(), E = cfg.embed(), L = cfg.depth();
        int Tk = (key.K() < 0 ? N : key.K()) + 1;
        SameDiff sd = SameDiff.create();
        Map<String, SDVariable> v = new HashMap<>();
        for (Map.Entry<String, int[]> e : Weights.visionShapes(cfg).entrySet()) {
            long[] shape = java.util.Arrays.stream(e.getValue()).asLongStream().toArray();
            v.put(e.getKey(), sd.var(e.getKey(), Nd4j.zeros(dtype, shape)));
        }
        SDVariable images = sd.placeHolder("images", dtype, B, 3, S, S);

        // §1.1: [B,3,G,p,G,p] -> [B,G,G,3,p,p] so a patch row is (channel, row, col), the order of
        // patch_embed.proj.weight [D,3,p,p] flattened to [D,3pp] (the conv as a matmul).
        SDVariable patches = patchRows(images, cfg, B);
        SDVariable pw = v.get(Weights.PATCH_WEIGHT).reshape(D, 3 * p * p);
        SDVariable pos = v.get(Weights.POS_EMBED).reshape(N + 1, D);
        SDVariable posPatch = pos.get(SDIndex.interval(1, N + 1), SDIndex.all());            // [N,D]
        // §1.2: position is added before any token is dropped.
        SDVariable tokens = linear(sd, patches, pw, v.get(Weights.PATCH_BIAS)).reshape(B, N, D).add(posPatch);
        if (key.K() >= 0) {
            // §1.3: kept tokens in the ascending order of keepIndex: [B,K,N] one-hot rows @ [B,N,D].
            SDVariable select = sd.placeHolder("keep_select", dtype, B, key.K(), N);
            tokens = sd.mmul(select, tokens);
        }
        SDVariable x = sd.concat(1, clsRow(sd, v.get(Weights.CLS_TOKEN), v.get(Weights.POS_EMBED), N + 1, B, D), tokens); // [B,Tk,D]
        Encoded enc = encode(sd, cfg, v::get, x, B, Tk, key.withClsAttention(), key.lastLayerOnly(), "");
        SDVariable clsOut = enc.cls(), features = enc.features();
        SDVariable dF = sd.placeHolder("dFeatures", dtype, B, E);
        SDVariable dC = sd.placeHolder("dCls", dtype, B, D);
        SDVariable loss = features.mul(dF).sum().add(clsOut.mul(dC).sum());
        sd.setLossVariables(sd.identity("loss", loss));
        return new Graph(sd, Weights.visionShapes(cfg).keySet().toArray(new String[0]));
    }

    /**
     * §1.1 the patches of {@code images [B,3,S,S]} as rows {@code [B*N, 3pp]}: [B,3,G,p,G,p] → [B,G,G,3,p,p], so a
     * row is (channel, row, col), the order of {@code patch_embed.proj.weight [D,3,p,p]} flattened to [D,3pp].
     */
    public static SDVariable patchRows(SDVariable images, VisionConfig cfg, int B) {
        int p = cfg.patch(), G = cfg.grid();
        return images.reshape(B, 3, G, p, G, p).permute(0, 2, 4, 1, 3, 5).reshape(B * G * G, 3 * p * p);
    }

    /** §1.1 patch rows {@code [M,3pp]} embedded to {@code [M,D]} (the strided convolution as a Linear). */
    public static SDVariable embedPatches(SameDiff sd, VisionConfig cfg,
                                          java.util.function.Function<String, SDVariable> w, SDVariable rows) {
        int p = cfg.patch(), D = cfg.width();
        return linear(sd, rows, w.apply(Weights.PATCH_WEIGHT).reshape(D, 3 * p * p),
                w.apply(Weights.PATCH_BIAS));
    }

    /**
     * The outputs {@link #encode} defines: {@code cls [B,D]}, {@code features [B,E]}, and {@code clsAttention
     * [L',B,H,Tk]} (the CLS query's softmax rows, for {@code mask/Nd4jAttentionScore}) or null.
     */
    public record Encoded(SDVariable cls, SDVariable features, SDVariable clsAttention) {}

    /**
     * §1.2 the CLS token with its position, {@code cls_token + pos_embed[0]}, tiled to {@code [B,1,D]}.
     *
     * @param posEmbed {@code [1,T,D]}
     */
    public static SDVariable clsRow(SameDiff sd, SDVariable clsToken, SDVariable posEmbed, int T, int B, int D) {
        SDVariable posCls = posEmbed.reshape(T, D).get(SDIndex.interval(0, 1), SDIndex.all()).reshape(1, 1, D);
        return sd.tile(clsToken.add(posCls), B, 1, 1);
    }

    /**
     * §1.4–§1.6 and §3 on an embedded token sequence {@code x [B,Tk,D]} (CLS first): the blocks (the last one on
     * the CLS rows alone after its attention, §1.5), the final LayerNorm of the CLS row, the projection and, with
     * {@code withClsAttention}, the CLS query's attention rows
     * that the §3 score is made of. Shared by this twin's graphs and the resident training engine
     * ({@code aclip4j.train.nd4j}); {@code prefix} keeps the output names apart when one graph holds several passes.
     *
     * @param w the weights by their timm names (unprefixed)
     */
    public static Encoded encode(SameDiff sd, VisionConfig cfg, java.util.function.Function<String, SDVariable> w,
                                 SDVariable x, int B, int Tk, boolean withClsAttention, boolean lastLayerOnly,
                                 String prefix) {
        int D = cfg.width(), H = cfg.heads(), L = cfg.depth();
        List<SDVariable> rows = new ArrayList<>();
        SDVariable cls = L == 0 ? firstToken(x, B, D) : null; // no block: the embedded CLS row itself
        for (int i = 0; i < L; i++) {
            Weights.BlockNames n = Weights.BlockNames.vision(i);
            SDVariable h = layerNorm(sd, x, w.apply(n.ln1w()), w.apply(n.ln1b()), LN_EPS, B * Tk, D);
            Nd4jGraphs.Heads a = heads(sd, h, B, Tk, D, H, w.apply(n.qkvW()), w.apply(n.qkvB()), null);
            if (withClsAttention && (!lastLayerOnly || i == L - 1)) { // the CLS query's row over all Tk keys
                rows.add(a.probs().get(SDIndex.all(), SDIndex.all(), SDIndex.interval(0, 1), SDIndex.all())
                        .reshape(1, B, H, Tk));
            }
            if (i < L - 1) {
                x = Nd4jGraphs.afterAttention(sd, w, n, LN_EPS, Nd4jGraphs::geluErf, a.mixed(), x.reshape(B * Tk, D),
                        B * Tk, D).reshape(B, Tk, D);
            } else { // §1.5: the features read the CLS row alone, so the last block goes on with it only
                cls = Nd4jGraphs.afterAttention(sd, w, n, LN_EPS, Nd4jGraphs::geluErf,
                        firstToken(a.mixed().reshape(B, Tk, D), B, D), firstToken(x, B, D), B, D);
            }
        }
        // the final LayerNorm acts per token and only the CLS row is used: normalise that row alone
        SDVariable clsOut = sd.identity(prefix + "cls", layerNorm(sd, cls, w.apply(Weights.NORM_WEIGHT),
                w.apply(Weights.NORM_BIAS), LN_EPS, B, D));                                      // [B,D]
        SDVariable features = sd.mmul(prefix + "features", clsOut, w.apply(Weights.IMAGE_PROJECTION)); // [B,E], §1.5
        SDVariable clsAttention = null;
        if (withClsAttention) {
            clsAttention = sd.identity(prefix + "cls_attention",
                    rows.size() == 1 ? rows.get(0) : sd.concat(0, rows.toArray(new SDVariable[0])));
        }
        return new Encoded(clsOut, features, clsAttention);
    }

    /** A forward pass kept for its backward; arrays are in the graph's float type. */
    public final class NdPass implements VisionTower.Pass {
        private final Graph graph;
        private final Map<String, INDArray> weights;
        private final Map<String, INDArray> placeholders;
        private final INDArray features;
        private final INDArray cls;
        private final INDArray clsAttention;
        private final int B;

        private NdPass(Graph graph, Map<String, INDArray> weights, Map<String, INDArray> placeholders,
                       INDArray features, INDArray cls, INDArray clsAttention, int B) {
            this.graph = graph;
            this.weights = weights;
            this.placeholders = placeholders;
            this.features = features;
            this.cls = cls;
            this.clsAttention = clsAttention;
            this.B = B;
        }

        public INDArray featuresNd() {
            return features;
        }

        public INDArray clsNd() {
            return cls;
        }

        public INDArray clsAttentionNd() {
            return clsAttention;
        }

        @Override
        public float[] features() {
            return Nd4jGraphs.floats(features);
        }

        @Override
        public float[] cls() {
            return Nd4jGraphs.floats(cls);
        }

        @Override
        public float[] clsAttention() {
            return clsAttention == null ? null : Nd4jGraphs.floats(clsAttention);
        }

        @Override
        public Map<String, Tensor> backward(float[] dFeatures, float[] dCls) {
            int E = cfg.embed(), D = cfg.width();
            if (dFeatures == null || dFeatures.length != B * E) {
                throw new IllegalArgumentException("dFeatures holds " + (dFeatures == null ? "null" : dFeatures.length)
                        + " values, expected B*E = " + B + "*" + E);
            }
            if (dCls != null && dCls.length != B * D) {
                throw new IllegalArgumentException("dCls holds " + dCls.length + " values, expected B*D = " + B + "*" + D);
            }
            INDArray dF = Nd4jGraphs.input(dFeatures, dtype, B, E);
            INDArray dC = dCls == null ? Nd4j.zeros(dtype, B, D) : Nd4jGraphs.input(dCls, dtype, B, D);
            return Nd4jGraphs.tensors(backwardNd(dF, dC), Weights.visionShapes(cfg));
        }

        /** Gradients by weight name as INDArrays of the graph's float type. */
        public Map<String, INDArray> backwardNd(INDArray dFeatures, INDArray dCls) {
            Map<String, INDArray> ph = new HashMap<>(placeholders);
            ph.put("dFeatures", dFeatures.castTo(dtype));
            ph.put("dCls", dCls.castTo(dtype));
            Map<String, INDArray> grads = new HashMap<>();
            synchronized (graph) {
                graph.ensureGradients();
                graph.bind(weights);
                Map<String, INDArray> g = graph.sd.calculateGradients(ph, graph.weightNames);
                for (Map.Entry<String, INDArray> e : g.entrySet()) {
                    grads.put(e.getKey(), e.getValue().dup());
                }
            }
            return grads;
        }
    }
}
