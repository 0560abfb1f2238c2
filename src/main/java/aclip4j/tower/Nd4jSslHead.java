package aclip4j.tower;

import static aclip4j.tower.Nd4jGraphs.linear;

import aclip4j.tensor.Tensor;
import aclip4j.tower.Nd4jGraphs.Graph;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The SPEC §6 SSL heads (SimCLR MLP, BYOL projector and predictor) as a SameDiff graph: hidden stages
 * {@code Linear → BatchNorm1d → ReLU}, then a final Linear; names and BatchNorm semantics in {@link SslHead}.
 *
 * <p>BatchNorm is written from mean and variance ops over the batch axis (training: batch mean and biased batch
 * variance, so its gradient flows through the statistics; evaluation: the running statistics enter as
 * placeholders). The graph also outputs each layer's batch statistics, from which the running statistics are
 * refreshed with ND4J ops outside the graph (momentum 0.1, unbiased variance). The head's input is a graph
 * variable so autodiff also returns {@code dInput}. Graphs are cached per (B, training).
 */
public final class Nd4jSslHead implements SslHead {
    private static final String INPUT = "head_input";
    private static final int CACHE_SIZE = 4;

    private final Kind kind;
    private final HeadsConfig cfg;
    private final DataType dtype;
    private final Map<List<Object>, Graph> cache = Nd4jGraphs.lruCache(CACHE_SIZE);

    public Nd4jSslHead(Kind kind, HeadsConfig cfg) {
        this(kind, cfg, DataType.FLOAT);
    }

    public Nd4jSslHead(Kind kind, HeadsConfig cfg, DataType dtype) {
        if (dtype != DataType.FLOAT && dtype != DataType.DOUBLE) {
            throw new IllegalArgumentException("graph dtype " + dtype + ", expected FLOAT or DOUBLE");
        }
        this.kind = kind;
        this.cfg = cfg;
        this.dtype = dtype;
    }

    @Override
    public Kind kind() {
        return kind;
    }

    @Override
    public HeadsConfig config() {
        return cfg;
    }


    @Override
    public Pass forward(Map<String, Tensor> weights, float[] x, int B, boolean training) {
        return forwardNd(weights, x, B, training);
    }

    /** {@link #forward} returning the ND4J pass, whose arrays keep the graph's float type. */
    public NdPass forwardNd(Map<String, Tensor> weights, float[] x, int B, boolean training) {
        int in = cfg.inputWidth(kind);
        if (B <= 0 || x == null || x.length != (long) B * in) {
            throw new IllegalArgumentException("head input holds " + (x == null ? "null" : x.length)
                    + " values, expected [B," + in + "] with B = " + B);
        }
        if (training && B < 2) {
            throw new IllegalArgumentException("BatchNorm in training needs B >= 2, got B = " + B);
        }
        Map<String, int[]> shapes = SslHead.shapes(kind, cfg);
        Map<String, INDArray> w = new LinkedHashMap<>();
        Map<String, INDArray> buffers = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : shapes.entrySet()) {
            INDArray a = Nd4jGraphs.weight(weights, e.getKey(), dtype, e.getValue());
            (SslHead.isBuffer(e.getKey()) ? buffers : w).put(e.getKey(), a);
        }
        w.put(INPUT, Nd4jGraphs.input(x, dtype, B, in));
        Map<String, INDArray> ph = new HashMap<>();
        if (!training) {
            ph.putAll(buffers);
        }
        Graph g = cache.computeIfAbsent(List.of(B, training), k -> build(B, training));
        List<String> outs = new ArrayList<>(List.of("out"));
        if (training) {
            for (Stage s : SslHead.stages(kind)) {
                if (s.bn() != null) {
                    outs.add(s.bn() + ".batch_mean");
                    outs.add(s.bn() + ".batch_var");
                }
            }
        }
        Map<String, INDArray> res;
        synchronized (g) {
            g.bind(w);
            res = g.sd.output(ph, outs.toArray(new String[0]));
        }
        Map<String, Tensor> running = new LinkedHashMap<>();
        if (training) {
            // PyTorch: running = (1 - m) running + m batch, the variance unbiased by B / (B - 1).
            for (Stage s : SslHead.stages(kind)) {
                if (s.bn() == null) {
                    continue;
                }
                INDArray mean = res.get(s.bn() + ".batch_mean").reshape(-1);
                INDArray var = res.get(s.bn() + ".batch_var").reshape(-1).mul((double) B / (B - 1));
                INDArray rm = buffers.get(s.bn() + ".running_mean").mul(1 - BN_MOMENTUM).addi(mean.mul(BN_MOMENTUM));
                INDArray rv = buffers.get(s.bn() + ".running_var").mul(1 - BN_MOMENTUM).addi(var.mul(BN_MOMENTUM));
                running.put(s.bn() + ".running_mean", Nd4jGraphs.tensor(rm, shapes.get(s.bn() + ".running_mean")));
                running.put(s.bn() + ".running_var", Nd4jGraphs.tensor(rv, shapes.get(s.bn() + ".running_var")));
            }
        }
        return new NdPass(g, w, ph, res.get("out").dup(), running, B);
    }

    private Graph build(int B, boolean training) {
        Map<String, int[]> shapes = SslHead.shapes(kind, cfg);
        SameDiff sd = SameDiff.create();
        Map<String, SDVariable> v = new HashMap<>();
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, int[]> e : shapes.entrySet()) {
            long[] shape = Arrays.stream(e.getValue()).asLongStream().toArray();
            if (SslHead.isBuffer(e.getKey())) {
                if (!training) {
                    v.put(e.getKey(), sd.placeHolder(e.getKey(), dtype, shape));
                }
            } else {
                v.put(e.getKey(), sd.var(e.getKey(), Nd4j.zeros(dtype, shape)));
                names.add(e.getKey());
            }
        }
        int in = cfg.inputWidth(kind);
        SDVariable input = sd.var(INPUT, Nd4j.zeros(dtype, B, in));
        names.add(INPUT);
        SDVariable out = sd.identity("out", define(sd, kind, v::get, input, training, "").out());
        SDVariable dOut = sd.placeHolder("dOut", dtype, B, cfg.outputWidth(kind));
        sd.setLossVariables(sd.identity("loss", out.mul(dOut).sum()));
        return new Graph(sd, names.toArray(new String[0]));
    }

    /** What {@link #define} builds: the head's output and, in training, each BatchNorm's batch statistics. */
    public record Defined(SDVariable out, Map<String, SDVariable[]> batchStats) {}

    /**
     * The §6 head on {@code input [R, in]}: hidden {@code Linear → BatchNorm1d → ReLU} stages and the final Linear.
     * In training each BatchNorm normalises by the batch mean and biased batch variance over the R rows (their
     * gradients flow) and {@code batchStats} maps its prefix ({@code bn1}, {@code 1}, …) to
     * {@code {mean [1,h], biased variance [1,h]}}, named {@code prefix + bn + ".batch_mean"/".batch_var"}; in
     * evaluation {@code w} must give the running statistics too. Shared by this twin's graphs and the resident
     * training engine ({@code aclip4j.train.nd4j}).
     *
     * @param w the head's tensors by their names within the head ({@code layer1.weight}, {@code bn1.running_mean}, …)
     */
    public static Defined define(SameDiff sd, Kind kind, java.util.function.Function<String, SDVariable> w,
                                 SDVariable input, boolean training, String prefix) {
        SDVariable cur = input;
        Map<String, SDVariable[]> stats = new LinkedHashMap<>();
        for (Stage s : SslHead.stages(kind)) {
            cur = linear(sd, cur, w.apply(s.linear() + ".weight"), s.bias() ? w.apply(s.linear() + ".bias") : null);
            if (s.bn() == null) {
                continue;
            }
            SDVariable centred;
            SDVariable variance;
            if (training) {
                SDVariable mean = sd.identity(prefix + s.bn() + ".batch_mean", cur.mean(true, 0));          // [1,h]
                centred = cur.sub(mean);
                variance = sd.identity(prefix + s.bn() + ".batch_var", centred.mul(centred).mean(true, 0)); // biased
                stats.put(s.bn(), new SDVariable[] {mean, variance});
            } else {
                centred = cur.sub(w.apply(s.bn() + ".running_mean"));
                variance = w.apply(s.bn() + ".running_var");
            }
            SDVariable normed = centred.mul(variance.add(BN_EPS).pow(-0.5));
            cur = sd.nn().relu(normed.mul(w.apply(s.bn() + ".weight")).add(w.apply(s.bn() + ".bias")), 0.0);
        }
        return new Defined(cur, stats);
    }

    /** PyTorch's running-statistics rule, in place: {@code r = (1 - 0.1) r + 0.1 batch}. */
    public static void updateRunning(INDArray running, INDArray batch) {
        running.muli(1 - BN_MOMENTUM).addi(batch.reshape(running.shape()).mul(BN_MOMENTUM));
    }

    /** A forward pass kept for its backward; arrays are in the graph's float type. */
    public final class NdPass implements SslHead.Pass {
        private final Graph graph;
        private final Map<String, INDArray> weights;
        private final Map<String, INDArray> placeholders;
        private final INDArray out;
        private final Map<String, Tensor> running;
        private final int B;

        private NdPass(Graph graph, Map<String, INDArray> weights, Map<String, INDArray> placeholders, INDArray out,
                       Map<String, Tensor> running, int B) {
            this.graph = graph;
            this.weights = weights;
            this.placeholders = placeholders;
            this.out = out;
            this.running = running;
            this.B = B;
        }

        public INDArray outNd() {
            return out;
        }

        @Override
        public float[] out() {
            return Nd4jGraphs.floats(out);
        }

        @Override
        public Map<String, Tensor> runningStats() {
            return running;
        }

        @Override
        public Grads backward(float[] dOut) {
            int o = cfg.outputWidth(kind);
            if (dOut == null || dOut.length != (long) B * o) {
                throw new IllegalArgumentException("dOut holds " + (dOut == null ? "null" : dOut.length)
                        + " values, expected [B," + o + "] with B = " + B);
            }
            Map<String, INDArray> g = backwardNd(Nd4jGraphs.input(dOut, dtype, B, o));
            Map<String, int[]> trainable = new LinkedHashMap<>(SslHead.shapes(kind, cfg));
            trainable.keySet().removeIf(SslHead::isBuffer);
            return new Grads(Nd4jGraphs.floats(g.get("input")), Nd4jGraphs.tensors(g, trainable));
        }

        /** Gradients by parameter name, and {@code "input"} for the head's input, in the graph's float type. */
        public Map<String, INDArray> backwardNd(INDArray dOut) {
            Map<String, INDArray> ph = new HashMap<>(placeholders);
            ph.put("dOut", dOut.castTo(dtype));
            Map<String, INDArray> grads = new HashMap<>();
            synchronized (graph) {
                graph.ensureGradients();
                graph.bind(weights);
                for (Map.Entry<String, INDArray> e : graph.sd.calculateGradients(ph, graph.weightNames).entrySet()) {
                    grads.put(e.getKey().equals(INPUT) ? "input" : e.getKey(), e.getValue().dup());
                }
            }
            return grads;
        }
    }
}
