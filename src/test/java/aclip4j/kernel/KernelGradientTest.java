package aclip4j.kernel;

import static aclip4j.kernel.GradCheck.assertClose;
import static aclip4j.kernel.GradCheck.check;
import static aclip4j.kernel.GradCheck.dot;
import static aclip4j.kernel.GradCheck.randn;
import static aclip4j.kernel.KernelLanesProperties.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.apache.commons.math3.special.Erf;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * Every kernel's backward against central finite differences of its forward (double loss sum(out * probe)),
 * and every forward against a float64 oracle written here, at each width of {@link Lanes#testWidths()}; at a vector
 * width the results must also be the scalar specification's bits (docs/SPEC.md §13).
 */
class KernelGradientTest {

    static java.util.List<Lanes> widths() {
        return Lanes.testWidths();
    }

    @ParameterizedTest
    @MethodSource("widths")
    void layerNorm(Lanes lanes) {
        Random r = new Random(1);
        int N = 3, C = 13;
        float[] inp = randn(r, N * C, 1.5), w = randn(r, C, 1), b = randn(r, C, 1), probe = randn(r, N * C, 1);
        float[] out = new float[N * C], mean = new float[N], rstd = new float[N];
        LayerNorm.layernormForward(lanes, out, mean, rstd, inp, w, b, N, C, 1e-5f);
        float[] out0 = new float[N * C], mean0 = new float[N], rstd0 = new float[N];
        LayerNorm.layernormForwardScalar(out0, mean0, rstd0, inp, w, b, N, C, 1e-5f);
        assertSameBits("layernorm out " + lanes, out0, out);
        assertSameBits("layernorm mean " + lanes, mean0, mean);
        assertSameBits("layernorm rstd " + lanes, rstd0, rstd);
        float[] expected = new float[N * C];
        for (int n = 0; n < N; n++) {
            double m = 0, v = 0;
            for (int i = 0; i < C; i++) {
                m += inp[n * C + i];
            }
            m /= C;
            for (int i = 0; i < C; i++) {
                v += (inp[n * C + i] - m) * (inp[n * C + i] - m);
            }
            double s = 1 / Math.sqrt(v / C + 1e-5);
            for (int i = 0; i < C; i++) {
                expected[n * C + i] = (float) ((inp[n * C + i] - m) * s * w[i] + b[i]);
            }
        }
        assertClose("layernorm out", expected, out, 1e-5, 1e-5);
        float[] dinp = new float[N * C], dw = new float[C], db = new float[C];
        LayerNorm.layernormBackward(lanes, dinp, dw, db, probe, inp, w, mean, rstd, N, C);
        float[] dinp0 = new float[N * C], dw0 = new float[C], db0 = new float[C];
        LayerNorm.layernormBackwardScalar(dinp0, dw0, db0, probe, inp, w, mean0, rstd0, N, C);
        assertSameBits("layernorm dinp " + lanes, dinp0, dinp);
        assertSameBits("layernorm dweight " + lanes, dw0, dw);
        assertSameBits("layernorm dbias " + lanes, db0, db);
        Runnable fwd = () -> LayerNorm.layernormForward(lanes, out, mean, rstd, inp, w, b, N, C, 1e-5f);
        java.util.function.DoubleSupplier loss = () -> { fwd.run(); return dot(out, probe); };
        check("dinp", inp, dinp, null, loss, 1e-3, 2e-3, 1e-2);
        check("dweight", w, dw, null, loss, 1e-3, 2e-3, 1e-2);
        check("dbias", b, db, null, loss, 1e-3, 2e-3, 1e-2);
    }

    @Test
    void backwardAddsIntoGradients() {
        Random r = new Random(2);
        int N = 2, C = 5;
        float[] inp = randn(r, N * C, 1), w = randn(r, C, 1), b = randn(r, C, 1), probe = randn(r, N * C, 1);
        float[] out = new float[N * C], mean = new float[N], rstd = new float[N];
        LayerNorm.layernormForwardScalar(out, mean, rstd, inp, w, b, N, C, 1e-6f);
        float[] once = new float[N * C], dw1 = new float[C], db1 = new float[C];
        LayerNorm.layernormBackwardScalar(once, dw1, db1, probe, inp, w, mean, rstd, N, C);
        float[] twice = new float[N * C], dw2 = new float[C], db2 = new float[C];
        LayerNorm.layernormBackwardScalar(twice, dw2, db2, probe, inp, w, mean, rstd, N, C);
        LayerNorm.layernormBackwardScalar(twice, dw2, db2, probe, inp, w, mean, rstd, N, C);
        for (int i = 0; i < once.length; i++) {
            assertEquals(2 * once[i], twice[i], 1e-6);
        }
        for (int i = 0; i < C; i++) {
            assertEquals(2 * db1[i], db2[i], 1e-6);
        }
    }

    @ParameterizedTest
    @MethodSource("widths")
    void attention(Lanes lanes) {
        for (boolean causal : new boolean[] {false, true}) {
            Random r = new Random(causal ? 3 : 4);
            int B = 2, T = 5, C = 12, NH = 3;
            float[] qkv = randn(r, B * T * 3 * C, 1), probe = randn(r, B * T * C, 1);
            float[] out = new float[B * T * C], att = new float[B * NH * T * T];
            Attention.attentionForward(lanes, out, att, qkv, B, T, C, NH, causal);
            float[] expected = attentionOracle(qkv, B, T, C, NH, causal);
            assertClose("attention out causal=" + causal, expected, out, 1e-5, 1e-4);
            if (causal) {
                assertEquals(0f, att[(0 * T + 1) * T + 2], "query 1 must not see key 2");
            }
            float[] dqkv = new float[qkv.length];
            Attention.attentionBackward(lanes, dqkv, probe, qkv, att, B, T, C, NH, causal);
            float[] scratch = new float[att.length];
            check("dqkv causal=" + causal, qkv, dqkv, null, () -> {
                Attention.attentionForward(lanes, out, scratch, qkv, B, T, C, NH, causal);
                return dot(out, probe);
            }, 1e-3, 2e-3, 1e-2);
        }
    }

    /** Plain double attention: q, k, v at channel offsets 0, C, 2C; head h uses channels [h hs, (h+1) hs). */
    static float[] attentionOracle(float[] qkv, int B, int T, int C, int NH, boolean causal) {
        int hs = C / NH;
        float[] out = new float[B * T * C];
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < NH; h++) {
                for (int t = 0; t < T; t++) {
                    double[] logit = new double[T];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int u = 0; u < T; u++) {
                        double s = 0;
                        for (int i = 0; i < hs; i++) {
                            s += (double) qkv[(b * T + t) * 3 * C + h * hs + i] * qkv[(b * T + u) * 3 * C + C + h * hs + i];
                        }
                        logit[u] = (causal && u > t) ? Double.NEGATIVE_INFINITY : s / Math.sqrt(hs);
                        max = Math.max(max, logit[u]);
                    }
                    double z = 0;
                    for (int u = 0; u < T; u++) {
                        z += Math.exp(logit[u] - max);
                    }
                    for (int i = 0; i < hs; i++) {
                        double acc = 0;
                        for (int u = 0; u < T; u++) {
                            acc += Math.exp(logit[u] - max) / z * qkv[(b * T + u) * 3 * C + 2 * C + h * hs + i];
                        }
                        out[(b * T + t) * C + h * hs + i] = (float) acc;
                    }
                }
            }
        }
        return out;
    }

    @Test
    void erfcMatchesCommonsMath() {
        double worst = 0;
        for (double x = -6; x <= 6; x += 0.01) {
            double expected = Erf.erfc(x);
            worst = Math.max(worst, Math.abs(aclip4j.kernel.Erf.erfc(x) - expected) / expected);
        }
        // Numerical Recipes bounds the fractional error by 1.2e-7
        org.junit.jupiter.api.Assertions.assertTrue(worst < 1.3e-7, "worst relative error " + worst);
    }

    @ParameterizedTest
    @MethodSource("widths")
    void gelu(Lanes lanes) {
        Random r = new Random(5);
        int N = 37;
        float[] inp = randn(r, N, 2.5), probe = randn(r, N, 1), out = new float[N];
        inp[0] = -9f; // far tail: x Phi(x) is about -1e-18 and must keep its relative accuracy
        Gelu.geluForward(lanes, out, inp, N);
        float[] out0 = new float[N];
        Gelu.geluForwardScalar(out0, inp, N);
        assertSameBits("gelu " + lanes, out0, out);
        float[] expected = new float[N];
        for (int i = 0; i < N; i++) {
            expected[i] = (float) (inp[i] * 0.5 * Erf.erfc(-inp[i] / Math.sqrt(2)));
        }
        // erfc's fit in float: the exponent -z^2 + P(t) carries a relative error of about z^2 * 6e-8
        assertClose("gelu", expected, out, 1e-30, 2e-5);
        float[] dinp = new float[N];
        Gelu.geluBackward(lanes, dinp, inp, probe, N);
        float[] dinp0 = new float[N];
        Gelu.geluBackwardScalar(dinp0, inp, probe, N);
        assertSameBits("gelu backward " + lanes, dinp0, dinp);
        check("gelu dinp", inp, dinp, null, () -> {
            Gelu.geluForward(lanes, out, inp, N);
            return dot(out, probe);
        }, 1e-3, 1e-4, 1e-3);
    }

    @ParameterizedTest
    @MethodSource("widths")
    void quickGelu(Lanes lanes) {
        Random r = new Random(6);
        int N = 29;
        float[] inp = randn(r, N, 2.5), probe = randn(r, N, 1), out = new float[N];
        QuickGelu.quickGeluForward(lanes, out, inp, N);
        float[] out0 = new float[N];
        QuickGelu.quickGeluForwardScalar(out0, inp, N);
        assertSameBits("quickgelu " + lanes, out0, out);
        float[] expected = new float[N];
        for (int i = 0; i < N; i++) {
            expected[i] = (float) (inp[i] / (1 + Math.exp(-1.702 * inp[i])));
        }
        assertClose("quickgelu", expected, out, 1e-7, 1e-5);
        float[] dinp = new float[N];
        QuickGelu.quickGeluBackward(lanes, dinp, inp, probe, N);
        float[] dinp0 = new float[N];
        QuickGelu.quickGeluBackwardScalar(dinp0, inp, probe, N);
        assertSameBits("quickgelu backward " + lanes, dinp0, dinp);
        check("quickgelu dinp", inp, dinp, null, () -> {
            QuickGelu.quickGeluForward(lanes, out, inp, N);
            return dot(out, probe);
        }, 1e-3, 1e-4, 1e-3);
    }

    @ParameterizedTest
    @MethodSource("widths")
    void relu(Lanes lanes) {
        Random r = new Random(7);
        int N = 23;
        float[] inp = randn(r, N, 1), probe = randn(r, N, 1), out = new float[N];
        for (int i = 0; i < N; i++) {
            inp[i] += inp[i] >= 0 ? 0.05f : -0.05f; // keep away from the kink
        }
        Relu.reluForward(lanes, out, inp, N);
        for (int i = 0; i < N; i++) {
            assertEquals(Math.max(inp[i], 0f), out[i]);
        }
        float[] dinp = new float[N];
        Relu.reluBackward(lanes, dinp, inp, probe, N);
        float[] out0 = new float[N], dinp0 = new float[N];
        Relu.reluForwardScalar(out0, inp, N);
        Relu.reluBackwardScalar(dinp0, inp, probe, N);
        assertSameBits("relu " + lanes, out0, out);
        assertSameBits("relu backward " + lanes, dinp0, dinp);
        check("relu dinp", inp, dinp, null, () -> {
            Relu.reluForward(lanes, out, inp, N);
            return dot(out, probe);
        }, 1e-3, 1e-5, 1e-4);
    }

    @ParameterizedTest
    @MethodSource("widths")
    void residual(Lanes lanes) {
        Random r = new Random(8);
        int N = 19;
        float[] a = randn(r, N, 1), b = randn(r, N, 1), probe = randn(r, N, 1), out = new float[N];
        Residual.residualForward(lanes, out, a, b, N);
        for (int i = 0; i < N; i++) {
            assertEquals(a[i] + b[i], out[i]);
        }
        float[] da = new float[N], db = new float[N];
        Residual.residualBackward(lanes, da, db, probe, N);
        float[] out0 = new float[N], da0 = new float[N], db0 = new float[N];
        Residual.residualForwardScalar(out0, a, b, N);
        Residual.residualBackwardScalar(da0, db0, probe, N);
        assertSameBits("residual " + lanes, out0, out);
        assertSameBits("residual da " + lanes, da0, da);
        assertSameBits("residual db " + lanes, db0, db);
        java.util.function.DoubleSupplier loss = () -> {
            Residual.residualForward(lanes, out, a, b, N);
            return dot(out, probe);
        };
        check("da", a, da, null, loss, 1e-2, 1e-5, 1e-4);
        check("db", b, db, null, loss, 1e-2, 1e-5, 1e-4);
    }

    @ParameterizedTest
    @MethodSource("widths")
    void embedding(Lanes lanes) {
        Random r = new Random(9);
        int B = 2, T = 3, C = 7, V = 5, Tmax = 4;
        int[] tokens = {4, 1, 4, 0, 2, 1}; // repeated ids must add up in the backward
        float[] wte = randn(r, V * C, 1), wpe = randn(r, Tmax * C, 1), probe = randn(r, B * T * C, 1);
        float[] out = new float[B * T * C];
        Embedding.embeddingForward(lanes, out, tokens, wte, wpe, B, T, C);
        for (int bt = 0; bt < B * T; bt++) {
            for (int c = 0; c < C; c++) {
                assertEquals(wte[tokens[bt] * C + c] + wpe[(bt % T) * C + c], out[bt * C + c]);
            }
        }
        float[] dwte = new float[V * C], dwpe = new float[Tmax * C];
        Embedding.embeddingBackward(lanes, dwte, dwpe, probe, tokens, B, T, C);
        float[] out0 = new float[B * T * C], dwte0 = new float[V * C], dwpe0 = new float[Tmax * C];
        Embedding.embeddingForwardScalar(out0, tokens, wte, wpe, B, T, C);
        Embedding.embeddingBackwardScalar(dwte0, dwpe0, probe, tokens, B, T, C);
        assertSameBits("embedding " + lanes, out0, out);
        assertSameBits("embedding dwte " + lanes, dwte0, dwte);
        assertSameBits("embedding dwpe " + lanes, dwpe0, dwpe);
        java.util.function.DoubleSupplier loss = () -> {
            Embedding.embeddingForward(lanes, out, tokens, wte, wpe, B, T, C);
            return dot(out, probe);
        };
        check("dwte", wte, dwte, null, loss, 1e-2, 1e-5, 1e-4);
        check("dwpe", wpe, dwpe, null, loss, 1e-2, 1e-5, 1e-4);
    }

    @ParameterizedTest
    @MethodSource("widths")
    void gather(Lanes lanes) {
        Random r = new Random(10);
        int B = 2, Tin = 5, R = 3, C = 6;
        int[] index = {0, 2, 4, 0, 1, 1}; // a repeated row gathers twice and scatters back twice
        float[] inp = randn(r, B * Tin * C, 1), probe = randn(r, B * R * C, 1), out = new float[B * R * C];
        Gather.gatherForward(out, inp, index, B, Tin, R, C);
        for (int b = 0; b < B; b++) {
            for (int k = 0; k < R; k++) {
                for (int c = 0; c < C; c++) {
                    assertEquals(inp[(b * Tin + index[b * R + k]) * C + c], out[(b * R + k) * C + c]);
                }
            }
        }
        float[] dinp = new float[inp.length];
        Gather.gatherBackward(lanes, dinp, probe, index, B, Tin, R, C);
        float[] dinp0 = new float[inp.length];
        Gather.gatherBackwardScalar(dinp0, probe, index, B, Tin, R, C);
        assertSameBits("gather backward " + lanes, dinp0, dinp);
        check("gather dinp", inp, dinp, null, () -> {
            Gather.gatherForward(out, inp, index, B, Tin, R, C);
            return dot(out, probe);
        }, 1e-2, 1e-5, 1e-4);
    }

    @Test
    void patchifyOrderMatchesConvWeightLayout() {
        int B = 2, S = 6, p = 3, G = 2, P = 3 * p * p;
        float[] images = new float[B * 3 * S * S];
        for (int i = 0; i < images.length; i++) {
            images[i] = i; // the value is its own flat (b,c,y,x) index
        }
        float[] out = new float[B * G * G * P];
        Patchify.patchifyForward(out, images, B, S, p);
        for (int b = 0; b < B; b++) {
            for (int gy = 0; gy < G; gy++) {
                for (int gx = 0; gx < G; gx++) {
                    for (int c = 0; c < 3; c++) {
                        for (int dy = 0; dy < p; dy++) {
                            for (int dx = 0; dx < p; dx++) {
                                // Conv2d(stride p): token gy*G+gx, weight index [c][dy][dx] reads pixel (c, gy p + dy, gx p + dx)
                                float pixel = ((b * 3 + c) * S + gy * p + dy) * S + gx * p + dx;
                                assertEquals(pixel, out[((b * G * G) + gy * G + gx) * P + (c * p + dy) * p + dx]);
                            }
                        }
                    }
                }
            }
        }
        float[] dimages = new float[images.length];
        Patchify.patchifyBackward(Lanes.preferred(), dimages, out, B, S, p);
        assertArrayEquals(images, dimages, "patch backward puts every patch value back on its pixel");
        float[] dimages0 = new float[images.length];
        Patchify.patchifyBackwardScalar(dimages0, out, B, S, p);
        assertSameBits("patchify backward " + Lanes.preferred(), dimages0, dimages);
    }

    @ParameterizedTest
    @MethodSource("widths")
    void vitEmbed(Lanes lanes) {
        Random r = new Random(11);
        int B = 2, N = 4, D = 5, T = N + 1;
        float[] patch = randn(r, B * N * D, 1), cls = randn(r, D, 1), pos = randn(r, T * D, 1);
        float[] probe = randn(r, B * T * D, 1), out = new float[B * T * D];
        VitEmbed.vitEmbedForward(lanes, out, patch, cls, pos, B, N, D);
        for (int b = 0; b < B; b++) {
            for (int d = 0; d < D; d++) {
                assertEquals(cls[d] + pos[d], out[b * T * D + d]);
                for (int i = 0; i < N; i++) {
                    assertEquals(patch[(b * N + i) * D + d] + pos[(1 + i) * D + d], out[(b * T + 1 + i) * D + d]);
                }
            }
        }
        float[] dpatch = new float[patch.length], dcls = new float[D], dpos = new float[pos.length];
        VitEmbed.vitEmbedBackward(lanes, dpatch, dcls, dpos, probe, B, N, D);
        float[] out0 = new float[B * T * D], dpatch0 = new float[patch.length], dcls0 = new float[D];
        float[] dpos0 = new float[pos.length];
        VitEmbed.vitEmbedForwardScalar(out0, patch, cls, pos, B, N, D);
        VitEmbed.vitEmbedBackwardScalar(dpatch0, dcls0, dpos0, probe, B, N, D);
        assertSameBits("vit embed " + lanes, out0, out);
        assertSameBits("vit embed dpatch " + lanes, dpatch0, dpatch);
        assertSameBits("vit embed dcls " + lanes, dcls0, dcls);
        assertSameBits("vit embed dpos " + lanes, dpos0, dpos);
        java.util.function.DoubleSupplier loss = () -> {
            VitEmbed.vitEmbedForward(lanes, out, patch, cls, pos, B, N, D);
            return dot(out, probe);
        };
        check("dpatch", patch, dpatch, null, loss, 1e-2, 1e-5, 1e-4);
        check("dcls", cls, dcls, null, loss, 1e-2, 1e-5, 1e-4);
        check("dpos", pos, dpos, null, loss, 1e-2, 1e-5, 1e-4);
    }

    @ParameterizedTest
    @MethodSource("widths")
    void batchNormTraining(Lanes lanes) {
        Random r = new Random(12);
        int B = 4, C = 11;
        float[] inp = randn(r, B * C, 2), w = randn(r, C, 1), b = randn(r, C, 1), probe = randn(r, B * C, 1);
        float[] rm0 = randn(r, C, 1), rv0 = new float[C];
        for (int i = 0; i < C; i++) {
            rv0[i] = 0.5f + i;
        }
        float[] out = new float[B * C], mean = new float[C], rstd = new float[C];
        float[] rm = rm0.clone(), rv = rv0.clone();
        BatchNorm.batchnormForward(lanes, out, mean, rstd, rm, rv, inp, w, b, B, C, 1e-5f, 0.1f, true);
        float[] out0 = new float[B * C], mean0 = new float[C], rstd0 = new float[C];
        float[] rmSpec = rm0.clone(), rvSpec = rv0.clone();
        BatchNorm.batchnormForwardScalar(out0, mean0, rstd0, rmSpec, rvSpec, inp, w, b, B, C, 1e-5f, 0.1f, true);
        assertSameBits("batchnorm " + lanes, out0, out);
        assertSameBits("batchnorm mean " + lanes, mean0, mean);
        assertSameBits("batchnorm rstd " + lanes, rstd0, rstd);
        assertSameBits("batchnorm running mean " + lanes, rmSpec, rm);
        assertSameBits("batchnorm running var " + lanes, rvSpec, rv);
        float[] expected = new float[B * C];
        for (int c = 0; c < C; c++) {
            double m = 0, v = 0;
            for (int n = 0; n < B; n++) {
                m += inp[n * C + c];
            }
            m /= B;
            for (int n = 0; n < B; n++) {
                v += (inp[n * C + c] - m) * (inp[n * C + c] - m);
            }
            for (int n = 0; n < B; n++) {
                expected[n * C + c] = (float) ((inp[n * C + c] - m) / Math.sqrt(v / B + 1e-5) * w[c] + b[c]);
            }
            assertEquals(0.9 * rm0[c] + 0.1 * m, rm[c], 1e-5, "running mean");
            assertEquals(0.9 * rv0[c] + 0.1 * v / (B - 1), rv[c], 1e-5, "running var uses the unbiased variance");
        }
        assertClose("batchnorm out", expected, out, 1e-5, 1e-4);
        float[] dinp = new float[B * C], dw = new float[C], db = new float[C];
        BatchNorm.batchnormBackward(lanes, dinp, dw, db, probe, inp, w, mean, rstd, B, C, true);
        float[] dinp0 = new float[B * C], dw0 = new float[C], db0 = new float[C];
        BatchNorm.batchnormBackwardScalar(dinp0, dw0, db0, probe, inp, w, mean0, rstd0, B, C, true);
        assertSameBits("batchnorm dinp " + lanes, dinp0, dinp);
        assertSameBits("batchnorm dweight " + lanes, dw0, dw);
        assertSameBits("batchnorm dbias " + lanes, db0, db);
        java.util.function.DoubleSupplier loss = () -> {
            float[] m2 = new float[C], s2 = new float[C];
            BatchNorm.batchnormForward(lanes, out, m2, s2, rm0.clone(), rv0.clone(), inp, w, b, B, C, 1e-5f, 0.1f, true);
            return dot(out, probe);
        };
        check("bn dinp", inp, dinp, null, loss, 1e-3, 2e-3, 1e-2);
        check("bn dweight", w, dw, null, loss, 1e-3, 2e-3, 1e-2);
        check("bn dbias", b, db, null, loss, 1e-3, 2e-3, 1e-2);
    }

    @ParameterizedTest
    @MethodSource("widths")
    void batchNormEval(Lanes lanes) {
        Random r = new Random(13);
        int B = 3, C = 9;
        float[] inp = randn(r, B * C, 2), w = randn(r, C, 1), b = randn(r, C, 1), probe = randn(r, B * C, 1);
        float[] rm = randn(r, C, 1), rv = new float[C];
        for (int i = 0; i < C; i++) {
            rv[i] = 0.25f + 0.5f * i;
        }
        float[] rmCopy = rm.clone(), rvCopy = rv.clone();
        float[] out = new float[B * C], mean = new float[C], rstd = new float[C];
        BatchNorm.batchnormForward(lanes, out, mean, rstd, rm, rv, inp, w, b, B, C, 1e-5f, 0.1f, false);
        float[] out0 = new float[B * C], mean0 = new float[C], rstd0 = new float[C];
        BatchNorm.batchnormForwardScalar(out0, mean0, rstd0, rm.clone(), rv.clone(), inp, w, b, B, C, 1e-5f, 0.1f,
                false);
        assertSameBits("batchnorm eval " + lanes, out0, out);
        assertSameBits("batchnorm eval rstd " + lanes, rstd0, rstd);
        assertArrayEquals(rmCopy, rm, "evaluation leaves the running mean");
        assertArrayEquals(rvCopy, rv, "evaluation leaves the running variance");
        for (int n = 0; n < B; n++) {
            for (int c = 0; c < C; c++) {
                assertEquals((inp[n * C + c] - rm[c]) / Math.sqrt(rv[c] + 1e-5) * w[c] + b[c], out[n * C + c], 1e-5);
            }
        }
        float[] dinp = new float[B * C], dw = new float[C], db = new float[C];
        BatchNorm.batchnormBackward(lanes, dinp, dw, db, probe, inp, w, mean, rstd, B, C, false);
        float[] dinp0 = new float[B * C], dw0 = new float[C], db0 = new float[C];
        BatchNorm.batchnormBackwardScalar(dinp0, dw0, db0, probe, inp, w, mean0, rstd0, B, C, false);
        assertSameBits("batchnorm eval dinp " + lanes, dinp0, dinp);
        assertSameBits("batchnorm eval dweight " + lanes, dw0, dw);
        assertSameBits("batchnorm eval dbias " + lanes, db0, db);
        java.util.function.DoubleSupplier loss = () -> {
            BatchNorm.batchnormForward(lanes, out, mean, rstd, rm, rv, inp, w, b, B, C, 1e-5f, 0.1f, false);
            return dot(out, probe);
        };
        check("bn eval dinp", inp, dinp, null, loss, 1e-2, 1e-4, 1e-3);
        check("bn eval dweight", w, dw, null, loss, 1e-2, 1e-4, 1e-3);
    }

    @Test
    void batchNormTrainingRefusesOneRow() {
        float[] one = new float[3];
        assertThrows(IllegalArgumentException.class, () -> BatchNorm.batchnormForward(Lanes.SCALAR, new float[3],
                new float[3], new float[3], new float[3], new float[3], one, one, one, 1, 3, 1e-5f, 0.1f, true));
    }
}
