package aclip4j.tower;

import aclip4j.tensor.Tensor;
import aclip4j.kernel.BatchNorm;
import aclip4j.kernel.Lanes;
import aclip4j.kernel.Matmul;
import aclip4j.kernel.Relu;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The SSL heads of SPEC §6 on the Vector API kernels: a chain of stages {@code Linear → BatchNorm1d → ReLU} for
 * each hidden layer, then a final Linear. Names and semantics in {@link SslHead}.
 *
 * <p>Every step is a kernel/ call at the head's {@link Lanes} (the linear layers included), so
 * {@code Lanes.SCALAR} runs the scalar specification and each vector width gives the same bits (docs/SPEC.md §13);
 * the head adds no float arithmetic of its own.
 */
public final class SimdSslHead implements SslHead {
    /** BatchNorm1d eps and momentum (PyTorch defaults, as the official heads use). */
    private static final float BN_EPS = (float) SslHead.BN_EPS, BN_MOMENTUM = (float) SslHead.BN_MOMENTUM;

    private final Kind kind;
    private final HeadsConfig cfg;
    private final Lanes lanes;
    /** The weight-gradient arrays given back ({@link #recycle}), handed out zeroed by the next backward. */
    private final ActivationPool pool = new ActivationPool();

    public SimdSslHead(Kind kind, HeadsConfig cfg) {
        this(kind, cfg, Lanes.preferred());
    }

    public SimdSslHead(Kind kind, HeadsConfig cfg, Lanes lanes) {
        this.kind = kind;
        this.cfg = cfg;
        this.lanes = lanes;
    }

    @Override
    public Kind kind() {
        return kind;
    }

    @Override
    public HeadsConfig config() {
        return cfg;
    }

    /**
     * Takes back the weight-gradient arrays under {@code prefix} in {@code grads} (parameter names of this head's
     * kind, each of its parameter's length): the next backward hands them out zeroed instead of allocating (a
     * {@code vit-s16} A-CLIP step's heads allocated about 95 MB of them). The caller must not use them afterwards.
     */
    @Override
    public void recycle(Map<String, Tensor> grads, String prefix) {
        Weights.recycle(pool, SslHead.shapes(kind, cfg), grads, prefix);
    }


    @Override
    public SimdPass forward(Map<String, Tensor> weights, float[] x, int B, boolean training) {
        int in = cfg.inputWidth(kind);
        if (B <= 0 || x == null || x.length != B * in) {
            throw new IllegalArgumentException("head input holds " + (x == null ? "null" : x.length)
                    + " floats, expected [B," + in + "] with B = " + B);
        }
        if (training && B < 2) {
            throw new IllegalArgumentException("BatchNorm in training needs B >= 2, got B = " + B);
        }
        Map<String, int[]> shapes = SslHead.shapes(kind, cfg);
        SimdPass pass = new SimdPass(B, training);
        float[] cur = x;
        int width = in;
        for (Stage s : SslHead.stages(kind)) {
            int[] ws = shapes.get(s.linear() + ".weight");
            int out = ws[0];
            float[] wgt = Weights.require(weights, s.linear() + ".weight", ws);
            float[] bias = s.bias() ? Weights.require(weights, s.linear() + ".bias", new int[] {out}) : null;
            Saved v = new Saved(s, cur, wgt, width, out);
            v.lin = new float[B * out];
            Matmul.matmulForward(lanes, v.lin, cur, wgt, bias, B, width, out);
            cur = v.lin;
            if (s.bn() != null) {
                int[] hs = {out};
                v.gamma = Weights.require(weights, s.bn() + ".weight", hs);
                float[] beta = Weights.require(weights, s.bn() + ".bias", hs);
                float[] rm = Weights.require(weights, s.bn() + ".running_mean", hs).clone();
                float[] rv = Weights.require(weights, s.bn() + ".running_var", hs).clone();
                v.bn = new float[B * out];
                v.mean = new float[out];
                v.rstd = new float[out];
                BatchNorm.batchnormForward(lanes, v.bn, v.mean, v.rstd, rm, rv, v.lin, v.gamma, beta, B, out,
                        BN_EPS, BN_MOMENTUM, training);
                if (training) {
                    pass.running.put(s.bn() + ".running_mean", Tensor.f32(rm, out));
                    pass.running.put(s.bn() + ".running_var", Tensor.f32(rv, out));
                }
                v.relu = new float[B * out];
                Relu.reluForward(lanes, v.relu, v.bn, B * out);
                cur = v.relu;
            }
            pass.saved.add(v);
            width = out;
        }
        pass.out = cur;
        return pass;
    }

    /** Activations of one stage. */
    private static final class Saved {
        final Stage stage;
        final float[] in, weight;
        final int inWidth, outWidth;
        float[] lin, gamma, bn, mean, rstd, relu;

        Saved(Stage stage, float[] in, float[] weight, int inWidth, int outWidth) {
            this.stage = stage;
            this.in = in;
            this.weight = weight;
            this.inWidth = inWidth;
            this.outWidth = outWidth;
        }
    }

    /** One forward pass of the head. */
    public final class SimdPass implements SslHead.Pass {
        final int B;
        final boolean training;
        final List<Saved> saved = new ArrayList<>();
        final Map<String, Tensor> running = new LinkedHashMap<>();
        float[] out;

        SimdPass(int B, boolean training) {
            this.B = B;
            this.training = training;
        }

        @Override
        public float[] out() {
            return out;
        }

        /** (B,hidden) the ReLU input (BatchNorm output) of hidden stage {@code i}. */
        float[] reluInput(int i) {
            return saved.get(i).bn;
        }

        @Override
        public Map<String, Tensor> runningStats() {
            return running;
        }

        @Override
        public Grads backward(float[] dOut) {
            if (dOut == null || dOut.length != out.length) {
                throw new IllegalArgumentException("dOut must be [B," + cfg.outputWidth(kind) + "] with B = " + B);
            }
            Map<String, Tensor> g = Weights.zeros(SslHead.shapes(kind, cfg), n -> !SslHead.isBuffer(n), pool::zeros);
            float[] d = dOut;
            for (int i = saved.size() - 1; i >= 0; i--) {
                Saved v = saved.get(i);
                int n = B * v.outWidth;
                if (v.stage.bn() != null) {
                    float[] dbn = new float[n];
                    Relu.reluBackward(lanes, dbn, v.bn, d, n);
                    float[] dlin = new float[n];
                    BatchNorm.batchnormBackward(lanes, dlin, g.get(v.stage.bn() + ".weight").floats(),
                            g.get(v.stage.bn() + ".bias").floats(), dbn, v.lin, v.gamma, v.mean, v.rstd, B, v.outWidth,
                            training);
                    d = dlin;
                }
                float[] din = new float[B * v.inWidth];
                Tensor db = g.get(v.stage.linear() + ".bias");
                Matmul.matmulBackward(lanes, din, g.get(v.stage.linear() + ".weight").floats(),
                        db == null ? null : db.floats(), d, v.in, v.weight, B, v.inWidth, v.outWidth);
                d = din;
            }
            return new Grads(d, g);
        }
    }
}
