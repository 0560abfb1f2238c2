package aclip4j.tower;

import static aclip4j.tower.Nd4jGraphs.heads;
import static aclip4j.tower.Nd4jGraphs.layerNorm;

import aclip4j.tensor.Tensor;
import aclip4j.tower.Nd4jGraphs.Graph;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.segment.UnsortedSegmentSum;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The SPEC §2 text tower (OpenAI CLIP) as a SameDiff graph; gradients of {@code sum(features * dFeatures)} by
 * SameDiff autodiff.
 *
 * <p>The token-embedding lookup runs outside the graph: the rows are pulled with {@code Nd4j.pullRows} and enter
 * the graph as a variable, and their gradient is scattered back into {@code token_embedding.weight} with
 * libnd4j's {@code unsorted_segment_sum} (repeated ids add up). SameDiff 1.0.0-M2.1's gather backward fails,
 * and a one-hot matmul would cost {@code B*ctx*vocab*W} — as much as the whole tower at CLIP's 49408 tokens.
 * EOT pooling is a batched matmul by a one-hot [B,1,ctx] row built from {@code Nd4j.argMax} of the tokens (the
 * first position of each row's largest id).
 *
 * <p>The causal mask adds −1e9, not −inf, strictly above the diagonal. Every row keeps its finite diagonal,
 * so after the softmax's max subtraction {@code exp(-1e9 - max)} underflows to exactly 0 in float32 and
 * float64: the probabilities equal the −inf mask's bit for bit, while no op in the forward or its SameDiff
 * backward ever sees an infinity (where {@code inf - inf} or {@code 0 * inf} would give NaN).
 *
 * <p><b>Only the positions the features read.</b> As in {@link SimdTextTower}, the mask is causal, so a caption's
 * features depend on its positions up to its EOT and on nothing after it: a pass runs the blocks on the first
 * {@link #positionsRun} positions of the batch (the longest caption's, {@code max(eot) + 1}), not the padded context.
 * The positional rows past them get a zero gradient (the graph reads a slice of {@code positional_embedding}), as
 * do the left-out positions' tokens. {@link #withEveryPosition} runs the whole context, as the tower is written.
 *
 * <p>Graphs are cached per batch size and positions run; see {@link Nd4jVisionTower} for the threading and dtype
 * notes.
 */
public final class Nd4jTextTower implements TextTower {
    private static final double LN_EPS = 1e-5; // OpenAI CLIP, §2
    private static final double MASKED = -1e9;
    private static final String TOKEN_ROWS = "token_rows";
    private static final int CACHE_SIZE = 8;

    private final TextConfig cfg;
    private final DataType dtype;
    /** Whether every position of the context runs ({@link #withEveryPosition}), or only what the features read. */
    private final boolean everyPosition;
    /** Graphs by (batch size, positions run). */
    private final Map<java.util.List<Integer>, Graph> cache = Nd4jGraphs.lruCache(CACHE_SIZE);

    public Nd4jTextTower(TextConfig cfg) {
        this(cfg, DataType.FLOAT);
    }

    public Nd4jTextTower(TextConfig cfg, DataType dtype) {
        this(cfg, dtype, false);
    }

    private Nd4jTextTower(TextConfig cfg, DataType dtype, boolean everyPosition) {
        if (dtype != DataType.FLOAT && dtype != DataType.DOUBLE) {
            throw new IllegalArgumentException("graph dtype " + dtype + ", expected FLOAT or DOUBLE");
        }
        this.cfg = cfg;
        this.dtype = dtype;
        this.everyPosition = everyPosition;
    }

    /**
     * This tower, but every position of the context runs through every block (the same features and gradients,
     * with more work; the class comment).
     */
    public Nd4jTextTower withEveryPosition() {
        return new Nd4jTextTower(cfg, dtype, true);
    }

    /**
     * How many leading positions of a {@code [B,ctx]} batch a graph runs: the positions its features read
     * ({@link SimdTextTower#positionsRead}, the longest caption up to its EOT) rounded up to a multiple of
     * {@code step}, at most {@code ctx}. A step above 1 lets batches of similar lengths share one graph.
     */
    public static int positionsRun(int[] tokens, int B, int ctx, int step) {
        if (step < 1) {
            throw new IllegalArgumentException("position step " + step + " must be at least 1");
        }
        int used = SimdTextTower.positionsRead(tokens, B, ctx);
        return Math.min(ctx, (used + step - 1) / step * step);
    }

    public TextConfig config() {
        return cfg;
    }


    @Override
    public Pass forward(Map<String, Tensor> weights, int[] tokens, int B) {
        return forwardNd(weights, tokens, B);
    }

    /** {@link #forward} returning the ND4J pass, whose arrays keep the graph's float type. */
    public NdPass forwardNd(Map<String, Tensor> weights, int[] tokens, int B) {
        int ctx = cfg.context(), W = cfg.width();
        if (B <= 0) {
            throw new IllegalArgumentException("batch " + B + " must be positive");
        }
        if (tokens == null || tokens.length != (long) B * ctx) {
            throw new IllegalArgumentException("tokens hold " + (tokens == null ? "null" : tokens.length)
                    + " ids, expected B*context = " + B + "*" + ctx);
        }
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= cfg.vocab()) {
                throw new IllegalArgumentException("token[" + i / ctx + "][" + i % ctx + "] = " + tokens[i]
                        + " is outside the vocabulary 0.." + (cfg.vocab() - 1));
            }
        }
        Map<String, INDArray> w = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : Weights.textShapes(cfg).entrySet()) {
            w.put(e.getKey(), Nd4jGraphs.weight(weights, e.getKey(), dtype, e.getValue()));
        }
        int P = everyPosition ? ctx : positionsRun(tokens, B, ctx, 1);
        int[] run = SimdTextTower.firstPositions(tokens, B, ctx, P);
        aclip4j.nd.Traffic.in(4L * run.length);
        INDArray ids = Nd4j.createFromArray(run).reshape(B, P);
        INDArray embedding = w.remove(Weights.TOKEN_EMBEDDING);
        w.put(TOKEN_ROWS, Nd4j.pullRows(embedding, 1, run));                    // [B*P,W]
        Map<String, INDArray> ph = new HashMap<>();
        ph.put("eot_select", eotSelect(ids, P, dtype));                          // [B,1,P]
        Graph g = cache.computeIfAbsent(java.util.List.of(B, P), k -> build(B, P));
        INDArray features;
        synchronized (g) {
            g.bind(w);
            features = g.sd.output(ph, "features").get("features").dup();
        }
        return new NdPass(g, w, ph, features, run, B);
    }

    private Graph build(int B, int P) {
        int W = cfg.width(), E = cfg.embed();
        SameDiff sd = SameDiff.create();
        Map<String, SDVariable> v = new HashMap<>();
        Map<String, int[]> shapes = new LinkedHashMap<>(Weights.textShapes(cfg));
        shapes.remove(Weights.TOKEN_EMBEDDING);
        shapes.put(TOKEN_ROWS, new int[] {B * P, W});
        for (Map.Entry<String, int[]> e : shapes.entrySet()) {
            long[] shape = Arrays.stream(e.getValue()).asLongStream().toArray();
            v.put(e.getKey(), sd.var(e.getKey(), Nd4j.zeros(dtype, shape)));
        }
        SDVariable select = sd.placeHolder("eot_select", dtype, B, 1, P);
        SDVariable features = encode(sd, cfg, v::get, v.get(TOKEN_ROWS), select, B, P, dtype, "features");
        SDVariable dF = sd.placeHolder("dFeatures", dtype, B, E);
        sd.setLossVariables(sd.identity("loss", features.mul(dF).sum()));
        return new Graph(sd, shapes.keySet().toArray(new String[0]));
    }

    /**
     * §2 from the looked-up token rows to the features: positions, the causal blocks, EOT pooling by the one-hot
     * {@code eotSelect [B,1,P]} rows (in the last block, right after its attention: the rest of that block runs on
     * the pooled rows alone), {@code ln_final} and {@code text_projection}. Shared by this twin's graph and
     * the resident training engine ({@code aclip4j.train.nd4j}); the graph may hold one text tower.
     *
     * @param w         the weights by their CLIP names
     * @param tokenRows {@code [B*P,W]} the rows of {@code token_embedding.weight} at the tokens
     * @param P         the leading positions run, {@code 1 <= P <= context} (at least {@link #positionsRun}: every
     *                  row's EOT must lie among them); the graph reads the first P positional rows
     * @param name      the name of the {@code [B,E]} output
     */
    public static SDVariable encode(SameDiff sd, TextConfig cfg, java.util.function.Function<String, SDVariable> w,
                                    SDVariable tokenRows, SDVariable eotSelect, int B, int P, DataType dtype,
                                    String name) {
        int ctx = cfg.context(), W = cfg.width(), H = cfg.heads();
        if (P < 1 || P > ctx) {
            throw new IllegalArgumentException("text positions " + P + ", expected 1.." + ctx);
        }
        // Strictly-upper-triangular additive mask [P,P]: column > row.
        INDArray rows = Nd4j.arange(0, P).castTo(DataType.INT).reshape(P, 1).broadcast(P, P);
        INDArray cols = Nd4j.arange(0, P).castTo(DataType.INT).reshape(1, P).broadcast(P, P);
        SDVariable mask = sd.constant("causal_mask", cols.gt(rows).castTo(dtype).muli(MASKED));

        SDVariable pos = w.apply(Weights.POSITIONAL_EMBEDDING);                                    // [ctx,W]
        if (P < ctx) { // the positions past P are never read: their rows get a zero gradient
            pos = pos.get(org.nd4j.autodiff.samediff.SDIndex.interval(0, P), org.nd4j.autodiff.samediff.SDIndex.all());
        }
        SDVariable x = tokenRows.reshape(B, P, W).add(pos);                                        // [B,P,W]
        int L = cfg.depth();
        SDVariable pooled = L == 0 ? sd.mmul(eotSelect, x).reshape(B, W) : null; // no block: the embedded EOT rows
        for (int i = 0; i < L; i++) {
            Weights.BlockNames n = Weights.BlockNames.text(i);
            SDVariable h = layerNorm(sd, x, w.apply(n.ln1w()), w.apply(n.ln1b()), LN_EPS, B * P, W);
            Nd4jGraphs.Heads a = heads(sd, h, B, P, W, H, w.apply(n.qkvW()), w.apply(n.qkvB()), mask);
            if (i < L - 1) {
                x = Nd4jGraphs.afterAttention(sd, w, n, LN_EPS, Nd4jGraphs::quickGelu, a.mixed(),
                        x.reshape(B * P, W), B * P, W).reshape(B, P, W);
            } else {
                // §2: the features read each caption's EOT row alone, so the last block pools right after its
                // attention (the one-hot rows select exactly) and goes on with the pooled rows only, as the SIMD
                // tower does; ln_final then acts on them as on every row
                pooled = Nd4jGraphs.afterAttention(sd, w, n, LN_EPS, Nd4jGraphs::quickGelu,
                        sd.mmul(eotSelect, a.mixed().reshape(B, P, W)).reshape(B, W),
                        sd.mmul(eotSelect, x).reshape(B, W), B, W);
            }
        }
        pooled = layerNorm(sd, pooled, w.apply(Weights.LN_FINAL_WEIGHT), w.apply(Weights.LN_FINAL_BIAS), LN_EPS, B, W);
        return sd.mmul(name, pooled, w.apply(Weights.TEXT_PROJECTION));                                 // [B,E]
    }

    /**
     * The §2 pooling rows {@code [B,1,ctx]} for token ids {@code [B,ctx]} already in ND4J: one-hot at each row's
     * first largest id (the EOT token; {@code argMax} returns the first occurrence).
     */
    public static INDArray eotSelect(INDArray ids, int ctx, DataType dtype) {
        return Nd4jGraphs.oneHot(Nd4j.argMax(ids, 1).reshape(ids.size(0), 1), ctx, dtype);
    }

    /** A forward pass kept for its backward; arrays are in the graph's float type. */
    public final class NdPass implements TextTower.Pass {
        private final Graph graph;
        private final Map<String, INDArray> weights;
        private final Map<String, INDArray> placeholders;
        private final INDArray features;
        private final int[] tokens;
        private final int B;

        private NdPass(Graph graph, Map<String, INDArray> weights, Map<String, INDArray> placeholders,
                       INDArray features, int[] tokens, int B) {
            this.graph = graph;
            this.weights = weights;
            this.placeholders = placeholders;
            this.features = features;
            this.tokens = tokens;
            this.B = B;
        }

        public INDArray featuresNd() {
            return features;
        }

        /** The leading positions this pass ran ({@link #positionsRun}, or the context {@link #withEveryPosition}). */
        public int positions() {
            return tokens.length / B;
        }

        @Override
        public float[] features() {
            return Nd4jGraphs.floats(features);
        }

        @Override
        public Map<String, Tensor> backward(float[] dFeatures) {
            int E = cfg.embed();
            if (dFeatures == null || dFeatures.length != B * E) {
                throw new IllegalArgumentException("dFeatures holds " + (dFeatures == null ? "null" : dFeatures.length)
                        + " values, expected B*E = " + B + "*" + E);
            }
            Map<String, INDArray> g = backwardNd(Nd4jGraphs.input(dFeatures, dtype, B, E));
            return Nd4jGraphs.tensors(g, Weights.textShapes(cfg));
        }

        /** Gradients by weight name (token_embedding.weight included) in the graph's float type. */
        public Map<String, INDArray> backwardNd(INDArray dFeatures) {
            Map<String, INDArray> ph = new HashMap<>(placeholders);
            ph.put("dFeatures", dFeatures.castTo(dtype));
            Map<String, INDArray> grads = new HashMap<>();
            synchronized (graph) {
                graph.ensureGradients();
                graph.bind(weights);
                Map<String, INDArray> g = graph.sd.calculateGradients(ph, graph.weightNames);
                for (Map.Entry<String, INDArray> e : g.entrySet()) {
                    grads.put(e.getKey(), e.getValue().dup());
                }
            }
            // d token_embedding[id] = sum of the row gradients of the positions holding id.
            INDArray dRows = grads.remove(TOKEN_ROWS);
            grads.put(Weights.TOKEN_EMBEDDING, Nd4j.exec(new UnsortedSegmentSum(dRows, Nd4j.createFromArray(tokens), cfg.vocab()))[0]);
            return grads;
        }
    }
}
