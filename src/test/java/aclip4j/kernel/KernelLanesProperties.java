package aclip4j.kernel;

import static aclip4j.kernel.GradCheck.assertClose;
import static aclip4j.kernel.GradCheck.randn;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Each Vector API kernel against its scalar specification at every width of {@link Lanes#testWidths()}, on lengths
 * that hit the vector tails (1, primes, 15, 16, 17, lane counts ± 1, blocks of 16 ± 1). docs/SPEC.md §13 fixes the
 * operations of every output element, so the comparison is bit for bit ({@link #assertSameBits}).
 */
class KernelLanesProperties {

    @Provide
    Arbitrary<Integer> sizes() {
        return Arbitraries.of(1, 2, 3, 5, 7, 15, 16, 17, 31, 33);
    }

    /** Row lengths: every tail of 4, 8 and 16 lanes and of the 16 partial sums. */
    @Provide
    Arbitrary<Integer> lengths() {
        return Arbitraries.of(1, 2, 3, 5, 7, 15, 16, 17, 31, 33, 47, 64, 65);
    }

    /** Element counts of the element-wise kernels: the row lengths and both sides of GELU's 512-float blocks. */
    @Provide
    Arbitrary<Integer> counts() {
        return Arbitraries.of(1, 2, 3, 5, 7, 15, 16, 17, 31, 33, 47, 64, 65, 511, 512, 513, 1031);
    }

    static void assertSameBits(String what, float[] expected, float[] actual) {
        Bits.assertSameBits(what, expected, actual);
    }

    /** Puts each of the given values at a random index (overwriting), so tails and vector bodies both meet them. */
    private static float[] with(Random r, float[] x, float... values) {
        for (float v : values) {
            x[r.nextInt(x.length)] = v;
        }
        return x;
    }

    @Property(tries = 60)
    void layerNorm(@ForAll("lengths") int C, @ForAll("sizes") int N, @ForAll long seed) {
        Random r = new Random(seed);
        N = Math.min(N, 5);
        float[] inp = randn(r, N * C, 2), w = randn(r, C, 1), b = randn(r, C, 1), dout = randn(r, N * C, 1);
        for (int i = 0; i < inp.length; i++) {
            inp[i] += 3; // a mean far from 0, so that the variance's deviations round
        }
        float[] out0 = new float[N * C], m0 = new float[N], s0 = new float[N];
        LayerNorm.layernormForwardScalar(out0, m0, s0, inp, w, b, N, C, 1e-6f);
        float[] di0 = randn(r, N * C, 1), dw0 = randn(r, C, 1), db0 = randn(r, C, 1); // backward adds into these
        float[] di1 = di0.clone(), dw1 = dw0.clone(), db1 = db0.clone();
        LayerNorm.layernormBackwardScalar(di0, dw0, db0, dout, inp, w, m0, s0, N, C);
        for (Lanes lanes : Lanes.testWidths()) {
            float[] out = new float[N * C], m = new float[N], s = new float[N];
            LayerNorm.layernormForward(lanes, out, m, s, inp, w, b, N, C, 1e-6f);
            assertSameBits("layernorm C=" + C + " " + lanes, out0, out);
            assertSameBits("layernorm mean " + lanes, m0, m);
            assertSameBits("layernorm rstd " + lanes, s0, s);
            float[] di = di1.clone(), dw = dw1.clone(), db = db1.clone();
            LayerNorm.layernormBackward(lanes, di, dw, db, dout, inp, w, m, s, N, C);
            assertSameBits("layernorm dinp C=" + C + " " + lanes, di0, di);
            assertSameBits("layernorm dweight C=" + C + " " + lanes, dw0, dw);
            assertSameBits("layernorm dbias C=" + C + " " + lanes, db0, db);
        }
    }

    @Property(tries = 60)
    void gelu(@ForAll("counts") int N, @ForAll long seed) {
        Random r = new Random(seed);
        float[] inp = with(r, randn(r, N, 3), 0f, -0f, -9f, 9f, -20f, 1e-30f), dout = randn(r, N, 1);
        float[] out0 = new float[N], d0 = randn(r, N, 1), d1 = d0.clone();
        Gelu.geluForwardScalar(out0, inp, N);
        Gelu.geluBackwardScalar(d0, inp, dout, N);
        for (Lanes lanes : Lanes.testWidths()) {
            float[] out = new float[N], d = d1.clone();
            Gelu.geluForward(lanes, out, inp, N);
            Gelu.geluBackward(lanes, d, inp, dout, N);
            assertSameBits("gelu N=" + N + " " + lanes, out0, out);
            assertSameBits("gelu backward N=" + N + " " + lanes, d0, d);
        }
    }

    @Property(tries = 60)
    void quickGelu(@ForAll("counts") int N, @ForAll long seed) {
        Random r = new Random(seed);
        float[] inp = with(r, randn(r, N, 3), 0f, -0f, -60f, 60f, 1e-30f), dout = randn(r, N, 1);
        float[] out0 = new float[N], d0 = randn(r, N, 1), d1 = d0.clone();
        QuickGelu.quickGeluForwardScalar(out0, inp, N);
        QuickGelu.quickGeluBackwardScalar(d0, inp, dout, N);
        for (Lanes lanes : Lanes.testWidths()) {
            float[] out = new float[N], d = d1.clone();
            QuickGelu.quickGeluForward(lanes, out, inp, N);
            QuickGelu.quickGeluBackward(lanes, d, inp, dout, N);
            assertSameBits("quickgelu N=" + N + " " + lanes, out0, out);
            assertSameBits("quickgelu backward N=" + N + " " + lanes, d0, d);
        }
    }

    @Property(tries = 60)
    void elementwise(@ForAll("counts") int N, @ForAll long seed) {
        Random r = new Random(seed);
        float[] a = with(r, randn(r, N, 1), 0f, -0f, Float.NaN), b = randn(r, N, 1), dout = randn(r, N, 1);
        float[] add0 = new float[N], relu0 = new float[N];
        float[] da0 = randn(r, N, 1), db0 = randn(r, N, 1), dr0 = randn(r, N, 1);
        float[] da1 = da0.clone(), db1 = db0.clone(), dr1 = dr0.clone();
        Residual.residualForwardScalar(add0, a, b, N);
        Residual.residualBackwardScalar(da0, db0, dout, N);
        Relu.reluForwardScalar(relu0, a, N);
        Relu.reluBackwardScalar(dr0, a, dout, N);
        for (Lanes lanes : Lanes.testWidths()) {
            float[] add = new float[N], relu = new float[N], da = da1.clone(), db = db1.clone(), dr = dr1.clone();
            Residual.residualForward(lanes, add, a, b, N);
            Residual.residualBackward(lanes, da, db, dout, N);
            Relu.reluForward(lanes, relu, a, N);
            Relu.reluBackward(lanes, dr, a, dout, N);
            assertSameBits("residual N=" + N + " " + lanes, add0, add);
            assertSameBits("residual da N=" + N + " " + lanes, da0, da);
            assertSameBits("residual db N=" + N + " " + lanes, db0, db);
            assertSameBits("relu N=" + N + " " + lanes, relu0, relu);
            assertSameBits("relu backward N=" + N + " " + lanes, dr0, dr);
        }
    }

    @Property(tries = 40)
    void embeddingsAndGather(@ForAll("lengths") int C, @ForAll long seed) {
        Random r = new Random(seed);
        int B = 2, T = 3, V = 4, N = 4;
        int[] tokens = new int[B * T];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = r.nextInt(V);
        }
        float[] wte = randn(r, V * C, 1), wpe = randn(r, T * C, 1), dout = randn(r, B * T * C, 1);
        float[] e0 = new float[B * T * C], dwte0 = randn(r, V * C, 1), dwpe0 = randn(r, T * C, 1);
        float[] dwte1 = dwte0.clone(), dwpe1 = dwpe0.clone();
        Embedding.embeddingForwardScalar(e0, tokens, wte, wpe, B, T, C);
        Embedding.embeddingBackwardScalar(dwte0, dwpe0, dout, tokens, B, T, C);
        float[] patch = randn(r, B * N * C, 1), cls = randn(r, C, 1), pos = randn(r, (N + 1) * C, 1);
        float[] dv = randn(r, B * (N + 1) * C, 1);
        float[] v0 = new float[B * (N + 1) * C], dp0 = new float[B * N * C], dc0 = new float[C], dpos0 = new float[(N + 1) * C];
        VitEmbed.vitEmbedForwardScalar(v0, patch, cls, pos, B, N, C);
        VitEmbed.vitEmbedBackwardScalar(dp0, dc0, dpos0, dv, B, N, C);
        int[] index = {0, 2, 2, 1, 0, 1};
        float[] dg0 = randn(r, B * T * C, 1), dg1 = dg0.clone();
        Gather.gatherBackwardScalar(dg0, dout, index, B, T, 3, C);
        for (Lanes lanes : Lanes.testWidths()) {
            float[] e = new float[B * T * C], dwte = dwte1.clone(), dwpe = dwpe1.clone();
            Embedding.embeddingForward(lanes, e, tokens, wte, wpe, B, T, C);
            Embedding.embeddingBackward(lanes, dwte, dwpe, dout, tokens, B, T, C);
            assertSameBits("embedding " + lanes, e0, e);
            assertSameBits("embedding dwte " + lanes, dwte0, dwte);
            assertSameBits("embedding dwpe " + lanes, dwpe0, dwpe);
            float[] v = new float[v0.length], dp = new float[dp0.length], dc = new float[C], dpos = new float[dpos0.length];
            VitEmbed.vitEmbedForward(lanes, v, patch, cls, pos, B, N, C);
            VitEmbed.vitEmbedBackward(lanes, dp, dc, dpos, dv, B, N, C);
            assertSameBits("vit embed " + lanes, v0, v);
            assertSameBits("vit embed dpatch " + lanes, dp0, dp);
            assertSameBits("vit embed dcls " + lanes, dc0, dc);
            assertSameBits("vit embed dpos " + lanes, dpos0, dpos);
            float[] dg = dg1.clone();
            Gather.gatherBackward(lanes, dg, dout, index, B, T, 3, C);
            assertSameBits("gather backward " + lanes, dg0, dg);
        }
    }

    /** The guard's scan finds the first NaN or infinity wherever it lies (vector body or tail), and -1 without one. */
    @Property(tries = 60)
    void firstNonFinite(@ForAll("counts") int n, @ForAll long seed) {
        Random r = new Random(seed);
        float[] x = randn(r, n + 3, 1);
        int o = r.nextInt(3);
        float[] bad = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        for (Lanes lanes : Lanes.testWidths()) {
            if (Vec.firstNonFinite(lanes, x, o, n) != -1) {
                fail("finite row of " + n + " reported non-finite at " + lanes);
            }
        }
        int first = r.nextInt(n);
        float[] y = x.clone();
        y[o + first] = bad[r.nextInt(3)];
        if (first + 1 < n) {
            y[o + first + 1 + r.nextInt(n - first - 1)] = bad[r.nextInt(3)]; // a later one does not hide the first
        }
        if (o > 0) {
            y[o - 1] = Float.NaN; // outside the row: ignored
        }
        int expected = Vec.firstNonFiniteScalar(y, o, n);
        if (expected != first) {
            fail("scalar scan found " + expected + ", the first bad element is " + first);
        }
        for (Lanes lanes : Lanes.testWidths()) {
            int got = Vec.firstNonFinite(lanes, y, o, n);
            if (got != first) {
                fail("n=" + n + " at " + lanes + ": found " + got + ", expected " + first);
            }
        }
    }

    @Property(tries = 30)
    void patchify(@ForAll("sizes") int p, @ForAll long seed) {
        Random r = new Random(seed);
        int B = 2, G = 1 + r.nextInt(3), S = G * p, P = 3 * p * p;
        float[] dout = randn(r, B * G * G * P, 1), d0 = randn(r, B * 3 * S * S, 1), d1 = d0.clone();
        Patchify.patchifyBackwardScalar(d0, dout, B, S, p);
        for (Lanes lanes : Lanes.testWidths()) {
            float[] d = d1.clone();
            Patchify.patchifyBackward(lanes, d, dout, B, S, p);
            assertSameBits("patchify backward p=" + p + " " + lanes, d0, d);
        }
    }

    @Property(tries = 40)
    void batchNorm(@ForAll("lengths") int C, @ForAll("sizes") int B, @ForAll boolean training, @ForAll long seed) {
        Random r = new Random(seed);
        B = Math.max(2, Math.min(B, 17));
        float[] inp = randn(r, B * C, 2), w = randn(r, C, 1), b = randn(r, C, 1), dout = randn(r, B * C, 1);
        float[] rm = randn(r, C, 1), rv = new float[C];
        java.util.Arrays.fill(rv, 1.5f);
        float[] out0 = new float[B * C], m0 = new float[C], s0 = new float[C], rm0 = rm.clone(), rv0 = rv.clone();
        BatchNorm.batchnormForwardScalar(out0, m0, s0, rm0, rv0, inp, w, b, B, C, 1e-5f, 0.1f, training);
        float[] di0 = randn(r, B * C, 1), dw0 = randn(r, C, 1), db0 = randn(r, C, 1); // backward adds into these
        float[] di1 = di0.clone(), dw1 = dw0.clone(), db1 = db0.clone();
        BatchNorm.batchnormBackwardScalar(di0, dw0, db0, dout, inp, w, m0, s0, B, C, training);
        for (Lanes lanes : Lanes.testWidths()) {
            String at = " C=" + C + " B=" + B + " training=" + training + " " + lanes;
            float[] out = new float[B * C], m = new float[C], s = new float[C], rm1 = rm.clone(), rv1 = rv.clone();
            BatchNorm.batchnormForward(lanes, out, m, s, rm1, rv1, inp, w, b, B, C, 1e-5f, 0.1f, training);
            assertSameBits("batchnorm" + at, out0, out);
            assertSameBits("batchnorm mean" + at, m0, m);
            assertSameBits("batchnorm rstd" + at, s0, s);
            assertSameBits("batchnorm running mean" + at, rm0, rm1);
            assertSameBits("batchnorm running var" + at, rv0, rv1);
            float[] di = di1.clone(), dw = dw1.clone(), db = db1.clone();
            BatchNorm.batchnormBackward(lanes, di, dw, db, dout, inp, w, m, s, B, C, training);
            assertSameBits("batchnorm dinp" + at, di0, di);
            assertSameBits("batchnorm dweight" + at, dw0, dw);
            assertSameBits("batchnorm dbias" + at, db0, db);
        }
    }
}
