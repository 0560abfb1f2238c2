package aclip4j.kernel;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

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
        if (lanes.bits() == 512 && hs % 16 == 0) {
            Parallel.forEach(B * NH, bh -> headForward512(lanes, out, att, qkv, bh / NH, bh % NH, T, C, NH, causal));
            return;
        }
        // one task per (b, h): each writes only its own att block and its own hs columns of out
        Parallel.forEach(B * NH, bh -> {
            int b = bh / NH, h = bh % NH;
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
        });
    }

    /** Rows of queries one register block of {@link #headForward512} handles at once. */
    private static final int QB = 4;
    private static final ThreadLocal<float[]> SCRATCH = new ThreadLocal<>();

    private static float[] scratch(int size) {
        float[] buf = SCRATCH.get();
        if (buf == null || buf.length < size) {
            buf = new float[size];
            SCRATCH.set(buf);
        }
        return buf;
    }

    /**
     * One (b, h) of {@link #attentionForward} at 512 bits (hs a multiple of 16), as two small matmuls over the
     * head's rows instead of one dot product per (query, key): K of the head is packed transposed (hs x Tp, Tp = T
     * rounded up to 16, zero-padded) so a block of QB queries x 64 keys of logits accumulates in 16 registers,
     * one fma per head channel in increasing order (logit = (sum_i q_i k_i) * scale, the scalar loop's sum
     * without its lane split); then out = P V with QB rows x 64 channels in registers, one fma per key in
     * increasing order. Softmax as in the generic path. Writes only att block (b, h) and out's hs columns of head h.
     */
    private static void headForward512(Lanes lanes, float[] out, float[] att, float[] qkv, int b, int h,
                                       int T, int C, int NH, boolean causal) {
        final VectorSpecies<Float> S = FloatVector.SPECIES_512;
        final int L = 16;
        int hs = C / NH, C3 = 3 * C;
        float scale = (float) (1.0 / Math.sqrt(hs));
        int Tp = (T + L - 1) / L * L;
        float[] buf = scratch(hs * Tp + QB * Tp);
        int lg = hs * Tp; // QB rows of logits
        int base = b * T * C3;
        for (int t2 = 0; t2 < T; t2++) {
            int k = base + t2 * C3 + C + h * hs;
            for (int i = 0; i < hs; i++) {
                buf[i * Tp + t2] = qkv[k + i];
            }
        }
        for (int i = 0; i < hs; i++) {
            Arrays.fill(buf, i * Tp + T, i * Tp + Tp, 0f);
        }
        for (int t0 = 0; t0 < T; t0 += QB) {
            // rows past T repeat the last query (computed, never written out)
            int q0 = base + t0 * C3 + h * hs;
            int q1 = base + Math.min(t0 + 1, T - 1) * C3 + h * hs;
            int q2 = base + Math.min(t0 + 2, T - 1) * C3 + h * hs;
            int q3 = base + Math.min(t0 + 3, T - 1) * C3 + h * hs;
            int keys = causal ? Math.min(T, t0 + QB) : T;
            int kv = (keys + L - 1) / L * L;
            int j = 0;
            for (; j + 4 * L <= kv; j += 4 * L) {
                FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00, a03 = a00;
                FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
                FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
                FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
                for (int i = 0, ki = j; i < hs; i++, ki += Tp) {
                    FloatVector k0 = FloatVector.fromArray(S, buf, ki), k1 = FloatVector.fromArray(S, buf, ki + L),
                            k2 = FloatVector.fromArray(S, buf, ki + 2 * L), k3 = FloatVector.fromArray(S, buf, ki + 3 * L);
                    FloatVector x = FloatVector.broadcast(S, qkv[q0 + i]); // logit[r][t2] += q_r[i] * k_t2[i]
                    a00 = x.fma(k0, a00); a01 = x.fma(k1, a01); a02 = x.fma(k2, a02); a03 = x.fma(k3, a03);
                    x = FloatVector.broadcast(S, qkv[q1 + i]);
                    a10 = x.fma(k0, a10); a11 = x.fma(k1, a11); a12 = x.fma(k2, a12); a13 = x.fma(k3, a13);
                    x = FloatVector.broadcast(S, qkv[q2 + i]);
                    a20 = x.fma(k0, a20); a21 = x.fma(k1, a21); a22 = x.fma(k2, a22); a23 = x.fma(k3, a23);
                    x = FloatVector.broadcast(S, qkv[q3 + i]);
                    a30 = x.fma(k0, a30); a31 = x.fma(k1, a31); a32 = x.fma(k2, a32); a33 = x.fma(k3, a33);
                }
                int r0 = lg + j, r1 = r0 + Tp, r2 = r1 + Tp, r3 = r2 + Tp;
                a00.mul(scale).intoArray(buf, r0); a01.mul(scale).intoArray(buf, r0 + L);
                a02.mul(scale).intoArray(buf, r0 + 2 * L); a03.mul(scale).intoArray(buf, r0 + 3 * L);
                a10.mul(scale).intoArray(buf, r1); a11.mul(scale).intoArray(buf, r1 + L);
                a12.mul(scale).intoArray(buf, r1 + 2 * L); a13.mul(scale).intoArray(buf, r1 + 3 * L);
                a20.mul(scale).intoArray(buf, r2); a21.mul(scale).intoArray(buf, r2 + L);
                a22.mul(scale).intoArray(buf, r2 + 2 * L); a23.mul(scale).intoArray(buf, r2 + 3 * L);
                a30.mul(scale).intoArray(buf, r3); a31.mul(scale).intoArray(buf, r3 + L);
                a32.mul(scale).intoArray(buf, r3 + 2 * L); a33.mul(scale).intoArray(buf, r3 + 3 * L);
            }
            for (; j < kv; j += L) {
                FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
                for (int i = 0, ki = j; i < hs; i++, ki += Tp) {
                    FloatVector k0 = FloatVector.fromArray(S, buf, ki);
                    a0 = FloatVector.broadcast(S, qkv[q0 + i]).fma(k0, a0);
                    a1 = FloatVector.broadcast(S, qkv[q1 + i]).fma(k0, a1);
                    a2 = FloatVector.broadcast(S, qkv[q2 + i]).fma(k0, a2);
                    a3 = FloatVector.broadcast(S, qkv[q3 + i]).fma(k0, a3);
                }
                a0.mul(scale).intoArray(buf, lg + j);
                a1.mul(scale).intoArray(buf, lg + Tp + j);
                a2.mul(scale).intoArray(buf, lg + 2 * Tp + j);
                a3.mul(scale).intoArray(buf, lg + 3 * Tp + j);
            }
            int rows = Math.min(QB, T - t0);
            for (int r = 0; r < rows; r++) {
                int t = t0 + r;
                int a = ((b * NH + h) * T + t) * T;
                int tEnd = causal ? t + 1 : T;
                int src = lg + r * Tp;
                float sum = Vec.expShifted(lanes, buf, src, att, a, tEnd, Vec.max(lanes, buf, src, tEnd));
                Vec.scale(lanes, 1f / sum, att, a, att, a, tEnd);
                Arrays.fill(att, a + tEnd, a + T, 0f);
            }
            // out rows t0..t0+rows: QB x 64 channels in registers, one fma per key
            int a0 = ((b * NH + h) * T + t0) * T;
            int a1 = ((b * NH + h) * T + Math.min(t0 + 1, T - 1)) * T;
            int a2 = ((b * NH + h) * T + Math.min(t0 + 2, T - 1)) * T;
            int a3 = ((b * NH + h) * T + Math.min(t0 + 3, T - 1)) * T;
            int vBase = base + 2 * C + h * hs;
            for (int c = 0; c < hs; c += L) {
                int w = Math.min(4 * L, hs - c);
                if (w == 4 * L) {
                    FloatVector o00 = FloatVector.zero(S), o01 = o00, o02 = o00, o03 = o00;
                    FloatVector o10 = o00, o11 = o00, o12 = o00, o13 = o00;
                    FloatVector o20 = o00, o21 = o00, o22 = o00, o23 = o00;
                    FloatVector o30 = o00, o31 = o00, o32 = o00, o33 = o00;
                    for (int t2 = 0, v = vBase + c; t2 < keys; t2++, v += C3) {
                        FloatVector v0 = FloatVector.fromArray(S, qkv, v), v1 = FloatVector.fromArray(S, qkv, v + L),
                                v2 = FloatVector.fromArray(S, qkv, v + 2 * L), v3 = FloatVector.fromArray(S, qkv, v + 3 * L);
                        FloatVector x = FloatVector.broadcast(S, att[a0 + t2]); // out[r] += p_r[t2] * v_t2
                        o00 = x.fma(v0, o00); o01 = x.fma(v1, o01); o02 = x.fma(v2, o02); o03 = x.fma(v3, o03);
                        x = FloatVector.broadcast(S, att[a1 + t2]);
                        o10 = x.fma(v0, o10); o11 = x.fma(v1, o11); o12 = x.fma(v2, o12); o13 = x.fma(v3, o13);
                        x = FloatVector.broadcast(S, att[a2 + t2]);
                        o20 = x.fma(v0, o20); o21 = x.fma(v1, o21); o22 = x.fma(v2, o22); o23 = x.fma(v3, o23);
                        x = FloatVector.broadcast(S, att[a3 + t2]);
                        o30 = x.fma(v0, o30); o31 = x.fma(v1, o31); o32 = x.fma(v2, o32); o33 = x.fma(v3, o33);
                    }
                    int o = b * T * C + t0 * C + h * hs + c;
                    o00.intoArray(out, o); o01.intoArray(out, o + L); o02.intoArray(out, o + 2 * L); o03.intoArray(out, o + 3 * L);
                    if (rows > 1) {
                        o += C;
                        o10.intoArray(out, o); o11.intoArray(out, o + L); o12.intoArray(out, o + 2 * L); o13.intoArray(out, o + 3 * L);
                    }
                    if (rows > 2) {
                        o += C;
                        o20.intoArray(out, o); o21.intoArray(out, o + L); o22.intoArray(out, o + 2 * L); o23.intoArray(out, o + 3 * L);
                    }
                    if (rows > 3) {
                        o += C;
                        o30.intoArray(out, o); o31.intoArray(out, o + L); o32.intoArray(out, o + 2 * L); o33.intoArray(out, o + 3 * L);
                    }
                    c += 3 * L;
                } else {
                    FloatVector o0 = FloatVector.zero(S), o1 = o0, o2 = o0, o3 = o0;
                    for (int t2 = 0, v = vBase + c; t2 < keys; t2++, v += C3) {
                        FloatVector v0 = FloatVector.fromArray(S, qkv, v);
                        o0 = FloatVector.broadcast(S, att[a0 + t2]).fma(v0, o0);
                        o1 = FloatVector.broadcast(S, att[a1 + t2]).fma(v0, o1);
                        o2 = FloatVector.broadcast(S, att[a2 + t2]).fma(v0, o2);
                        o3 = FloatVector.broadcast(S, att[a3 + t2]).fma(v0, o3);
                    }
                    int o = b * T * C + t0 * C + h * hs + c;
                    o0.intoArray(out, o);
                    if (rows > 1) {
                        o1.intoArray(out, o + C);
                    }
                    if (rows > 2) {
                        o2.intoArray(out, o + 2 * C);
                    }
                    if (rows > 3) {
                        o3.intoArray(out, o + 3 * C);
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
        // one task per (b, h): its dq, dk, dv are the hs columns of head h in batch b's rows, disjoint from
        // every other task's, and each task adds into them in the serial order
        Parallel.forEach(B * NH, bh -> {
            int b = bh / NH, h = bh % NH;
            float[] datt = new float[T];
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
        });
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
