package aclip4j.kernel;

import static aclip4j.kernel.GradCheck.assertClose;
import static aclip4j.kernel.GradCheck.randn;

import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Each Vector API kernel against its scalar twin at every width of {@link Lanes#testWidths()}, on lengths that hit
 * the vector tails (1, primes, lane counts ± 1). Vector and scalar reductions add in different orders, hence the
 * tolerances; the element-wise kernels without reductions agree to rounding.
 */
class KernelLanesProperties {

    @Provide
    Arbitrary<Integer> sizes() {
        return Arbitraries.of(1, 2, 3, 5, 7, 15, 16, 17, 31, 33);
    }

    @Property(tries = 60)
    void layerNorm(@ForAll("sizes") int C, @ForAll("sizes") int N, @ForAll long seed) {
        Random r = new Random(seed);
        N = Math.min(N, 5);
        float[] inp = randn(r, N * C, 2), w = randn(r, C, 1), b = randn(r, C, 1), dout = randn(r, N * C, 1);
        float[] out0 = new float[N * C], m0 = new float[N], s0 = new float[N];
        LayerNorm.layernormForwardScalar(out0, m0, s0, inp, w, b, N, C, 1e-6f);
        float[] di0 = new float[N * C], dw0 = new float[C], db0 = new float[C];
        LayerNorm.layernormBackwardScalar(di0, dw0, db0, dout, inp, w, m0, s0, N, C);
        for (Lanes lanes : Lanes.testWidths()) {
            float[] out = new float[N * C], m = new float[N], s = new float[N];
            LayerNorm.layernormForward(lanes, out, m, s, inp, w, b, N, C, 1e-6f);
            assertClose("layernorm " + lanes, out0, out, 1e-4, 1e-4);
            float[] di = new float[N * C], dw = new float[C], db = new float[C];
            LayerNorm.layernormBackward(lanes, di, dw, db, dout, inp, w, m, s, N, C);
            assertClose("layernorm dinp " + lanes, di0, di, 1e-4, 1e-4);
            assertClose("layernorm dweight " + lanes, dw0, dw, 1e-4, 1e-4);
            assertClose("layernorm dbias " + lanes, db0, db, 1e-5, 1e-5);
        }
    }

    @Property(tries = 60)
    void gelu(@ForAll("sizes") int N, @ForAll long seed) {
        Random r = new Random(seed);
        float[] inp = randn(r, N, 3), dout = randn(r, N, 1);
        float[] out0 = new float[N], d0 = new float[N];
        Gelu.geluForwardScalar(out0, inp, N);
        Gelu.geluBackwardScalar(d0, inp, dout, N);
        for (Lanes lanes : Lanes.testWidths()) {
            float[] out = new float[N], d = new float[N];
            Gelu.geluForward(lanes, out, inp, N);
            Gelu.geluBackward(lanes, d, inp, dout, N);
            // float evaluation of erfc's exponent: relative error grows like x^2 * 6e-8
            assertClose("gelu " + lanes, out0, out, 1e-7, 1e-5);
            assertClose("gelu backward " + lanes, d0, d, 1e-6, 1e-5);
        }
    }

    @Property(tries = 60)
    void quickGelu(@ForAll("sizes") int N, @ForAll long seed) {
        Random r = new Random(seed);
        float[] inp = randn(r, N, 3), dout = randn(r, N, 1);
        float[] out0 = new float[N], d0 = new float[N];
        QuickGelu.quickGeluForwardScalar(out0, inp, N);
        QuickGelu.quickGeluBackwardScalar(d0, inp, dout, N);
        for (Lanes lanes : Lanes.testWidths()) {
            float[] out = new float[N], d = new float[N];
            QuickGelu.quickGeluForward(lanes, out, inp, N);
            QuickGelu.quickGeluBackward(lanes, d, inp, dout, N);
            assertClose("quickgelu " + lanes, out0, out, 1e-7, 1e-5);
            assertClose("quickgelu backward " + lanes, d0, d, 1e-6, 1e-5);
        }
    }

    @Property(tries = 60)
    void elementwise(@ForAll("sizes") int N, @ForAll long seed) {
        Random r = new Random(seed);
        float[] a = randn(r, N, 1), b = randn(r, N, 1), dout = randn(r, N, 1);
        float[] add0 = new float[N], relu0 = new float[N], da0 = new float[N], db0 = new float[N], dr0 = new float[N];
        Residual.residualForwardScalar(add0, a, b, N);
        Residual.residualBackwardScalar(da0, db0, dout, N);
        Relu.reluForwardScalar(relu0, a, N);
        Relu.reluBackwardScalar(dr0, a, dout, N);
        for (Lanes lanes : Lanes.testWidths()) {
            float[] add = new float[N], relu = new float[N], da = new float[N], db = new float[N], dr = new float[N];
            Residual.residualForward(lanes, add, a, b, N);
            Residual.residualBackward(lanes, da, db, dout, N);
            Relu.reluForward(lanes, relu, a, N);
            Relu.reluBackward(lanes, dr, a, dout, N);
            assertClose("residual " + lanes, add0, add, 0, 0);
            assertClose("residual da " + lanes, da0, da, 0, 0);
            assertClose("residual db " + lanes, db0, db, 0, 0);
            assertClose("relu " + lanes, relu0, relu, 0, 0);
            assertClose("relu backward " + lanes, dr0, dr, 0, 0);
        }
    }

    @Property(tries = 40)
    void embeddingsAndGather(@ForAll("sizes") int C, @ForAll long seed) {
        Random r = new Random(seed);
        int B = 2, T = 3, V = 4, N = 4;
        int[] tokens = new int[B * T];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = r.nextInt(V);
        }
        float[] wte = randn(r, V * C, 1), wpe = randn(r, T * C, 1), dout = randn(r, B * T * C, 1);
        float[] e0 = new float[B * T * C], dwte0 = new float[V * C], dwpe0 = new float[T * C];
        Embedding.embeddingForwardScalar(e0, tokens, wte, wpe, B, T, C);
        Embedding.embeddingBackwardScalar(dwte0, dwpe0, dout, tokens, B, T, C);
        float[] patch = randn(r, B * N * C, 1), cls = randn(r, C, 1), pos = randn(r, (N + 1) * C, 1);
        float[] dv = randn(r, B * (N + 1) * C, 1);
        float[] v0 = new float[B * (N + 1) * C], dp0 = new float[B * N * C], dc0 = new float[C], dpos0 = new float[(N + 1) * C];
        VitEmbed.vitEmbedForwardScalar(v0, patch, cls, pos, B, N, C);
        VitEmbed.vitEmbedBackwardScalar(dp0, dc0, dpos0, dv, B, N, C);
        int[] index = {0, 2, 2, 1, 0, 1};
        float[] dg0 = new float[B * T * C];
        Gather.gatherBackwardScalar(dg0, dout, index, B, T, 3, C);
        for (Lanes lanes : Lanes.testWidths()) {
            float[] e = new float[B * T * C], dwte = new float[V * C], dwpe = new float[T * C];
            Embedding.embeddingForward(lanes, e, tokens, wte, wpe, B, T, C);
            Embedding.embeddingBackward(lanes, dwte, dwpe, dout, tokens, B, T, C);
            assertClose("embedding " + lanes, e0, e, 0, 0);
            assertClose("embedding dwte " + lanes, dwte0, dwte, 0, 0);
            assertClose("embedding dwpe " + lanes, dwpe0, dwpe, 0, 0);
            float[] v = new float[v0.length], dp = new float[dp0.length], dc = new float[C], dpos = new float[dpos0.length];
            VitEmbed.vitEmbedForward(lanes, v, patch, cls, pos, B, N, C);
            VitEmbed.vitEmbedBackward(lanes, dp, dc, dpos, dv, B, N, C);
            assertClose("vit embed " + lanes, v0, v, 0, 0);
            assertClose("vit embed dpatch " + lanes, dp0, dp, 0, 0);
            assertClose("vit embed dcls " + lanes, dc0, dc, 0, 0);
            assertClose("vit embed dpos " + lanes, dpos0, dpos, 0, 0);
            float[] dg = new float[dg0.length];
            Gather.gatherBackward(lanes, dg, dout, index, B, T, 3, C);
            assertClose("gather backward " + lanes, dg0, dg, 0, 0);
        }
    }

    @Property(tries = 40)
    void batchNorm(@ForAll("sizes") int C, @ForAll("sizes") int B, @ForAll boolean training, @ForAll long seed) {
        Random r = new Random(seed);
        B = Math.max(2, Math.min(B, 17));
        float[] inp = randn(r, B * C, 2), w = randn(r, C, 1), b = randn(r, C, 1), dout = randn(r, B * C, 1);
        float[] rm = randn(r, C, 1), rv = new float[C];
        java.util.Arrays.fill(rv, 1.5f);
        float[] out0 = new float[B * C], m0 = new float[C], s0 = new float[C], rm0 = rm.clone(), rv0 = rv.clone();
        BatchNorm.batchnormForwardScalar(out0, m0, s0, rm0, rv0, inp, w, b, B, C, 1e-5f, 0.1f, training);
        float[] di0 = new float[B * C], dw0 = new float[C], db0 = new float[C];
        BatchNorm.batchnormBackwardScalar(di0, dw0, db0, dout, inp, w, m0, s0, B, C, training);
        for (Lanes lanes : Lanes.testWidths()) {
            float[] out = new float[B * C], m = new float[C], s = new float[C], rm1 = rm.clone(), rv1 = rv.clone();
            BatchNorm.batchnormForward(lanes, out, m, s, rm1, rv1, inp, w, b, B, C, 1e-5f, 0.1f, training);
            assertClose("batchnorm " + lanes, out0, out, 1e-5, 1e-4);
            assertClose("batchnorm running mean " + lanes, rm0, rm1, 1e-6, 1e-5);
            assertClose("batchnorm running var " + lanes, rv0, rv1, 1e-6, 1e-5);
            float[] di = new float[B * C], dw = new float[C], db = new float[C];
            BatchNorm.batchnormBackward(lanes, di, dw, db, dout, inp, w, m, s, B, C, training);
            assertClose("batchnorm dinp " + lanes, di0, di, 1e-4, 1e-3);
            assertClose("batchnorm dweight " + lanes, dw0, dw, 1e-4, 1e-4);
            assertClose("batchnorm dbias " + lanes, db0, db, 1e-5, 1e-5);
        }
    }
}
