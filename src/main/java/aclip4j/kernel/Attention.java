package aclip4j.kernel;

import java.util.Arrays;

/**
 * Multi-head scaled dot-product attention (SPEC §1.4, §2), llm.c layout.
 * Shapes: qkv (B,T,3C) packed as PyTorch's qkv / in_proj Linear writes it: q in [0,C), k in [C,2C), v in [2C,3C),
 * each split into NH heads of hs = C/NH consecutive channels; out (B,T,C) heads concatenated;
 * att (B,NH,T,T) the saved softmax probabilities (0 where the causal mask hides a key).
 * Logits are scaled by 1/sqrt(hs); {@code causal} hides keys strictly after the query (the additive -inf mask of §2).
 * The vector kernels run the head-size loops (q·k dot products, the v and gradient axpys) and the softmax rows on
 * {@link Vec}; the scalar twins are the specification. Their softmax differs from the scalar one by the summation
 * order and by {@link Vec#expShifted} (within 1 ulp of {@code Math.exp}, which costs about 20 ns a call here).
 */
public final class Attention {
    private Attention() {}

    /** out (B,T,C), att (B,NH,T,T) from qkv (B,T,3C). */
    public static void attentionForward(Lanes lanes, float[] out, float[] att, float[] qkv,
                                        int B, int T, int C, int NH, boolean causal) {
        if (Vec.scalarLoops(lanes)) {
            attentionForwardScalar(out, att, qkv, B, T, C, NH, causal);
            return;
        }
        int hs = C / NH, C3 = 3 * C;
        float scale = (float) (1.0 / Math.sqrt(hs));
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < NH; h++) {
                for (int t = 0; t < T; t++) {
                    int q = b * T * C3 + t * C3 + h * hs;
                    int a = ((b * NH + h) * T + t) * T;
                    int tEnd = causal ? t + 1 : T;
                    for (int t2 = 0; t2 < tEnd; t2++) {
                        int k = b * T * C3 + t2 * C3 + C + h * hs;
                        att[a + t2] = Vec.dot(lanes, qkv, q, qkv, k, hs) * scale;
                    }
                    // softmax: exponentials lane-wise (Vec.expShifted, within 1 ulp of Math.exp), summed in lanes
                    float sum = Vec.expShifted(lanes, att, a, att, a, tEnd, Vec.max(lanes, att, a, tEnd));
                    Vec.scale(lanes, 1f / sum, att, a, att, a, tEnd);
                    Arrays.fill(att, a + tEnd, a + T, 0f);
                    int o = b * T * C + t * C + h * hs;
                    Arrays.fill(out, o, o + hs, 0f);
                    for (int t2 = 0; t2 < tEnd; t2++) {
                        int v = b * T * C3 + t2 * C3 + 2 * C + h * hs;
                        Vec.axpy(lanes, att[a + t2], qkv, v, out, o, hs);   // out += p * v
                    }
                }
            }
        }
    }

    /** The specification of {@link #attentionForward}. */
    public static void attentionForwardScalar(float[] out, float[] att, float[] qkv,
                                              int B, int T, int C, int NH, boolean causal) {
        int hs = C / NH, C3 = 3 * C;
        float scale = (float) (1.0 / Math.sqrt(hs));
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < NH; h++) {
                for (int t = 0; t < T; t++) {
                    int q = b * T * C3 + t * C3 + h * hs;
                    int a = ((b * NH + h) * T + t) * T;
                    int tEnd = causal ? t + 1 : T;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int t2 = 0; t2 < tEnd; t2++) {
                        int k = b * T * C3 + t2 * C3 + C + h * hs;
                        float dot = 0f;
                        for (int i = 0; i < hs; i++) {
                            dot += qkv[q + i] * qkv[k + i];
                        }
                        float v = dot * scale;
                        att[a + t2] = v;
                        max = Math.max(max, v);
                    }
                    softmaxRow(att, a, tEnd, T, max);
                    int o = b * T * C + t * C + h * hs;
                    for (int i = 0; i < hs; i++) {
                        out[o + i] = 0f;
                    }
                    for (int t2 = 0; t2 < tEnd; t2++) {
                        int v = b * T * C3 + t2 * C3 + 2 * C + h * hs;
                        for (int i = 0; i < hs; i++) {
                            out[o + i] += att[a + t2] * qkv[v + i];
                        }
                    }
                }
            }
        }
    }

    /** att[a .. a+tEnd) holds logits with maximum max: turn them into probabilities; zero the masked rest. */
    private static void softmaxRow(float[] att, int a, int tEnd, int T, float max) {
        float sum = 0f;
        for (int t2 = 0; t2 < tEnd; t2++) {
            float e = (float) Math.exp(att[a + t2] - max);
            att[a + t2] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (int t2 = 0; t2 < tEnd; t2++) {
            att[a + t2] *= inv;
        }
        for (int t2 = tEnd; t2 < T; t2++) {
            att[a + t2] = 0f;
        }
    }

    /**
     * dqkv (B,T,3C) += gradient of the attention output dout (B,T,C), given the saved att (B,NH,T,T).
     * Softmax backward: dlogit[t2] = att[t2] * (datt[t2] - sum_t3 att[t3] datt[t3]).
     */
    public static void attentionBackward(Lanes lanes, float[] dqkv, float[] dout, float[] qkv, float[] att,
                                         int B, int T, int C, int NH, boolean causal) {
        if (Vec.scalarLoops(lanes)) {
            attentionBackwardScalar(dqkv, dout, qkv, att, B, T, C, NH, causal);
            return;
        }
        int hs = C / NH, C3 = 3 * C;
        float scale = (float) (1.0 / Math.sqrt(hs));
        float[] datt = new float[T];
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < NH; h++) {
                for (int t = 0; t < T; t++) {
                    int q = b * T * C3 + t * C3 + h * hs;
                    int a = ((b * NH + h) * T + t) * T;
                    int o = b * T * C + t * C + h * hs;
                    int tEnd = causal ? t + 1 : T;
                    float dotPd = 0f;
                    for (int t2 = 0; t2 < tEnd; t2++) {
                        int v = b * T * C3 + t2 * C3 + 2 * C + h * hs;
                        float p = att[a + t2];
                        float s = Vec.dot(lanes, qkv, v, dout, o, hs);   // datt = v . dout
                        Vec.axpy(lanes, p, dout, o, dqkv, v, hs);        // dv += p * dout
                        datt[t2] = s;
                        dotPd += p * s;
                    }
                    for (int t2 = 0; t2 < tEnd; t2++) {
                        float dl = att[a + t2] * (datt[t2] - dotPd) * scale;
                        int k = b * T * C3 + t2 * C3 + C + h * hs;
                        Vec.axpy(lanes, dl, qkv, k, dqkv, q, hs);        // dq += dl * k
                        Vec.axpy(lanes, dl, qkv, q, dqkv, k, hs);        // dk += dl * q
                    }
                }
            }
        }
    }

    /** The specification of {@link #attentionBackward}. */
    public static void attentionBackwardScalar(float[] dqkv, float[] dout, float[] qkv, float[] att,
                                               int B, int T, int C, int NH, boolean causal) {
        int hs = C / NH, C3 = 3 * C;
        float scale = (float) (1.0 / Math.sqrt(hs));
        float[] datt = new float[T];
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < NH; h++) {
                for (int t = 0; t < T; t++) {
                    int q = b * T * C3 + t * C3 + h * hs;
                    int a = ((b * NH + h) * T + t) * T;
                    int o = b * T * C + t * C + h * hs;
                    int tEnd = causal ? t + 1 : T;
                    float dotPd = 0f;
                    for (int t2 = 0; t2 < tEnd; t2++) {
                        int v = b * T * C3 + t2 * C3 + 2 * C + h * hs;
                        float p = att[a + t2];
                        float s = 0f;
                        for (int i = 0; i < hs; i++) {
                            s += qkv[v + i] * dout[o + i];
                            dqkv[v + i] += p * dout[o + i];
                        }
                        datt[t2] = s;
                        dotPd += p * s;
                    }
                    for (int t2 = 0; t2 < tEnd; t2++) {
                        float dl = att[a + t2] * (datt[t2] - dotPd) * scale;
                        int k = b * T * C3 + t2 * C3 + C + h * hs;
                        for (int i = 0; i < hs; i++) {
                            dqkv[q + i] += dl * qkv[k + i];
                            dqkv[k + i] += dl * qkv[q + i];
                        }
                    }
                }
            }
        }
    }
}
