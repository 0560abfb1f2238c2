package aclip4j.tower;

import aclip4j.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.apache.commons.math3.special.Erf;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A plain-loop float64 forward of the SPEC §1 vision tower (with the §3 score) and the §2 text tower, written
 * from the SPEC independently of the SameDiff graphs; the oracle for the Nd4j tower tests.
 */
final class Nd4jTowerReference {
    private Nd4jTowerReference() {}

    private static int savedThreads, savedMasterThreads;

    /**
     * Runs libnd4j single-threaded during a test class. On this shared two-core machine OpenMP's spinning
     * threads make each tiny graph execution ~20x slower; results do not depend on the thread count.
     */
    static void singleThreaded() {
        savedThreads = Nd4j.getEnvironment().maxThreads();
        savedMasterThreads = Nd4j.getEnvironment().maxMasterThreads();
        Nd4j.getEnvironment().setMaxThreads(1);
        Nd4j.getEnvironment().setMaxMasterThreads(1);
    }

    /** Restores the thread counts {@link #singleThreaded} replaced. */
    static void restoreThreads() {
        Nd4j.getEnvironment().setMaxThreads(savedThreads);
        Nd4j.getEnvironment().setMaxMasterThreads(savedMasterThreads);
    }

    /** Outputs of one reference forward: features [B,E], cls [B,D] (vision only), scores [B,N] or null. */
    record Out(double[] features, double[] cls, double[] scores) {}

    /** Random weights for the given shapes: LayerNorm weights near 1, everything else ~ N(0, scale^2). */
    static Map<String, double[]> randomWeights(Map<String, int[]> shapes, long seed, double scale) {
        Random r = new Random(seed);
        Map<String, double[]> w = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : shapes.entrySet()) {
            double[] a = new double[(int) Tensor.numel(e.getValue())];
            boolean lnWeight = e.getKey().matches(".*(norm\\d?|ln_\\d|ln_final)\\.weight");
            for (int i = 0; i < a.length; i++) {
                a[i] = lnWeight ? 1.0 + 0.2 * r.nextGaussian() : scale * r.nextGaussian();
            }
            w.put(e.getKey(), a);
        }
        return w;
    }

    /** The weights as F32 tensors (rounded) or F64 tensors. */
    static Map<String, Tensor> tensors(Map<String, double[]> w, Map<String, int[]> shapes, boolean f64) {
        Map<String, Tensor> t = new LinkedHashMap<>();
        for (Map.Entry<String, double[]> e : w.entrySet()) {
            int[] shape = shapes.get(e.getKey());
            t.put(e.getKey(), f64 ? Tensor.f64(e.getValue().clone(), shape) : Tensor.f32(toFloats(e.getValue()), shape));
        }
        return t;
    }

    /** The weights rounded to float32 and widened back, so a float graph and the reference see equal values. */
    static Map<String, double[]> roundedToFloat(Map<String, double[]> w) {
        Map<String, double[]> o = new LinkedHashMap<>();
        for (Map.Entry<String, double[]> e : w.entrySet()) {
            double[] a = e.getValue().clone();
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) a[i];
            }
            o.put(e.getKey(), a);
        }
        return o;
    }

    static float[] toFloats(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            f[i] = (float) a[i];
        }
        return f;
    }

    static double[] toDoubles(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    // ---------------------------------------------------------------- building blocks, one token at a time

    /** y [out] = W [out,in] x + b. */
    static double[] linear(double[] W, double[] b, double[] x, int out, int in) {
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double acc = b == null ? 0 : b[o];
            for (int i = 0; i < in; i++) {
                acc += W[o * in + i] * x[i];
            }
            y[o] = acc;
        }
        return y;
    }

    static double[] layerNorm(double[] x, double[] g, double[] b, double eps) {
        int n = x.length;
        double mean = 0;
        for (double v : x) {
            mean += v;
        }
        mean /= n;
        double var = 0;
        for (double v : x) {
            var += (v - mean) * (v - mean);
        }
        var /= n;
        double inv = 1 / Math.sqrt(var + eps);
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            y[i] = (x[i] - mean) * inv * g[i] + b[i];
        }
        return y;
    }

    /**
     * One pre-norm block over the tokens x[t][D], in place; returns probs[h][q][k].
     * causal: keys k > q are excluded (the −inf mask of §2).
     */
    static double[][][] block(double[][] x, Map<String, double[]> w, String pre, String ln1, String ln2,
                              String qkvW, String qkvB, String projW, String projB,
                              String fc1W, String fc1B, String fc2W, String fc2B,
                              int D, int H, int M, double eps, boolean causal, boolean quickGelu) {
        int T = x.length, hs = D / H;
        double[][] qkv = new double[T][];
        for (int t = 0; t < T; t++) {
            double[] h = layerNorm(x[t], w.get(pre + ln1 + ".weight"), w.get(pre + ln1 + ".bias"), eps);
            qkv[t] = linear(w.get(pre + qkvW), w.get(pre + qkvB), h, 3 * D, D);
        }
        double[][][] probs = new double[H][T][T];
        double[][] att = new double[T][D];
        for (int hh = 0; hh < H; hh++) {
            for (int q = 0; q < T; q++) {
                double[] l = new double[T];
                double max = Double.NEGATIVE_INFINITY;
                int last = causal ? q : T - 1;
                for (int k = 0; k <= last; k++) {
                    double s = 0;
                    for (int c = 0; c < hs; c++) {
                        s += qkv[q][hh * hs + c] * qkv[k][D + hh * hs + c];
                    }
                    l[k] = s / Math.sqrt(hs);
                    max = Math.max(max, l[k]);
                }
                double z = 0;
                for (int k = 0; k <= last; k++) {
                    z += Math.exp(l[k] - max);
                }
                for (int k = 0; k <= last; k++) {
                    probs[hh][q][k] = Math.exp(l[k] - max) / z;
                    for (int c = 0; c < hs; c++) {
                        att[q][hh * hs + c] += probs[hh][q][k] * qkv[k][2 * D + hh * hs + c];
                    }
                }
            }
        }
        for (int t = 0; t < T; t++) {
            double[] o = linear(w.get(pre + projW), w.get(pre + projB), att[t], D, D);
            for (int d = 0; d < D; d++) {
                x[t][d] += o[d];
            }
            double[] h = layerNorm(x[t], w.get(pre + ln2 + ".weight"), w.get(pre + ln2 + ".bias"), eps);
            double[] f = linear(w.get(pre + fc1W), w.get(pre + fc1B), h, M, D);
            for (int i = 0; i < M; i++) {
                f[i] = quickGelu
                        ? f[i] / (1 + Math.exp(-1.702 * f[i]))
                        : 0.5 * f[i] * (1 + Erf.erf(f[i] / Math.sqrt(2)));
            }
            double[] o2 = linear(w.get(pre + fc2W), w.get(pre + fc2B), f, D, M);
            for (int d = 0; d < D; d++) {
                x[t][d] += o2[d];
            }
        }
        return probs;
    }

    // ---------------------------------------------------------------- §1 vision

    /** Vision forward; keepIndex [B,K] or null; scores when keepIndex is null. */
    static Out vision(VisionConfig c, Map<String, double[]> w, double[] images, int B, int[] keepIndex, int K,
                      boolean lastLayerOnly) {
        int S = c.imageSize(), p = c.patch(), G = c.grid(), N = c.tokens(), D = c.width(), H = c.heads();
        int E = c.embed(), L = c.depth(), M = c.mlpRatio() * D, P = 3 * p * p;
        double[] features = new double[B * E], cls = new double[B * D];
        double[] scores = keepIndex == null ? new double[B * N] : null;
        double[] pos = w.get("pos_embed");
        for (int b = 0; b < B; b++) {
            int Tk = (keepIndex == null ? N : K) + 1;
            double[][] x = new double[Tk][D];
            for (int d = 0; d < D; d++) {
                x[0][d] = w.get("cls_token")[d] + pos[d];
            }
            for (int k = 0; k < Tk - 1; k++) {
                int i = keepIndex == null ? k : keepIndex[b * K + k];
                int gy = i / G, gx = i % G;
                double[] patch = new double[P];
                for (int ch = 0; ch < 3; ch++) {
                    for (int py = 0; py < p; py++) {
                        for (int px = 0; px < p; px++) {
                            patch[(ch * p + py) * p + px] =
                                    images[((b * 3 + ch) * S + gy * p + py) * S + gx * p + px];
                        }
                    }
                }
                double[] e = linear(w.get("patch_embed.proj.weight"), w.get("patch_embed.proj.bias"), patch, D, P);
                for (int d = 0; d < D; d++) {
                    x[1 + k][d] = e[d] + pos[(1 + i) * D + d];
                }
            }
            for (int l = 0; l < L; l++) {
                double[][][] probs = block(x, w, "blocks." + l + ".", "norm1", "norm2", "attn.qkv.weight",
                        "attn.qkv.bias", "attn.proj.weight", "attn.proj.bias", "mlp.fc1.weight", "mlp.fc1.bias",
                        "mlp.fc2.weight", "mlp.fc2.bias", D, H, M, 1e-6, false, false);
                if (scores != null && (!lastLayerOnly || l == L - 1)) {
                    double layers = lastLayerOnly ? 1 : L;
                    for (int hh = 0; hh < H; hh++) {
                        for (int i = 0; i < N; i++) {
                            scores[b * N + i] += probs[hh][0][1 + i] / (layers * H);
                        }
                    }
                }
            }
            double[] y = layerNorm(x[0], w.get("norm.weight"), w.get("norm.bias"), 1e-6);
            System.arraycopy(y, 0, cls, b * D, D);
            double[] proj = w.get("image_projection");
            for (int e = 0; e < E; e++) {
                double acc = 0;
                for (int d = 0; d < D; d++) {
                    acc += y[d] * proj[d * E + e];
                }
                features[b * E + e] = acc;
            }
        }
        return new Out(features, cls, scores);
    }

    // ---------------------------------------------------------------- §2 text

    static Out text(TextConfig c, Map<String, double[]> w, int[] tokens, int B) {
        int ctx = c.context(), W = c.width(), H = c.heads(), E = c.embed();
        double[] features = new double[B * E];
        for (int b = 0; b < B; b++) {
            double[][] x = new double[ctx][W];
            int eot = 0;
            for (int t = 0; t < ctx; t++) {
                int id = tokens[b * ctx + t];
                if (id > tokens[b * ctx + eot]) {
                    eot = t; // first occurrence of the largest id
                }
                for (int d = 0; d < W; d++) {
                    x[t][d] = w.get("token_embedding.weight")[id * W + d] + w.get("positional_embedding")[t * W + d];
                }
            }
            for (int l = 0; l < c.depth(); l++) {
                block(x, w, "transformer.resblocks." + l + ".", "ln_1", "ln_2", "attn.in_proj_weight",
                        "attn.in_proj_bias", "attn.out_proj.weight", "attn.out_proj.bias", "mlp.c_fc.weight",
                        "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias", W, H, 4 * W, 1e-5, true, true);
            }
            double[] y = layerNorm(x[eot], w.get("ln_final.weight"), w.get("ln_final.bias"), 1e-5);
            double[] proj = w.get("text_projection");
            for (int e = 0; e < E; e++) {
                double acc = 0;
                for (int d = 0; d < W; d++) {
                    acc += y[d] * proj[d * E + e];
                }
                features[b * E + e] = acc;
            }
        }
        return new Out(features, null, null);
    }
}
