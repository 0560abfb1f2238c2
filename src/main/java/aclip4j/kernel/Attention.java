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
 *
 * <p>The vector paths run one {@link Parallel} task per (batch, head): a task writes only its own att block and
 * the hs columns of its head in its batch's rows of out (forward) or of dqkv (backward), and sums in a fixed
 * order by itself, so the result has the same bits for any thread count. At 512 bits with hs a multiple of 16 a
 * head is done as small register-blocked matmuls (4 rows x 64 columns in 16 registers, K or V packed transposed
 * for the score rows) instead of one dot product or axpy per (query, key) pair; each output is still the scalar
 * twin's sum with one fma per term in increasing order, only without a lane split.
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

    /** Rows of queries (or keys) one register block of the 512-bit head kernels handles at once. */
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

    /** pk[i*Tp + t2] = X(t2, i) for the hs channels of rows t2 < T at x[x0 + t2*xs]; zero for t2 in [T, Tp). */
    private static void packTransposed(float[] x, int x0, int xs, int T, int hs, float[] pk, int Tp) {
        for (int t2 = 0; t2 < T; t2++) {
            for (int i = 0, src = x0 + t2 * xs; i < hs; i++) {
                pk[i * Tp + t2] = x[src + i];
            }
        }
        for (int i = 0; i < hs; i++) {
            Arrays.fill(pk, i * Tp + T, i * Tp + Tp, 0f);
        }
    }

    /**
     * QB rows of {@code scale * (X Y^T)} at 512 bits: dst[d0 + r*Tp + j] = (sum_i x[xr + i] * pk[i*Tp + j]) * scale
     * for j < kv (a multiple of 16), the sum one fma per channel i in increasing order; pk is Y packed by
     * {@link #packTransposed}. Scalar meaning: the q.k (or dout.v) dot product of the scalar twin.
     */
    private static void rowsTimesPacked512(float[] x, int x0, int x1, int x2, int x3, int hs, float[] pk, int Tp,
                                           int kv, float scale, float[] dst, int d0) {
        final VectorSpecies<Float> S = FloatVector.SPECIES_512;
        final int L = 16;
        int j = 0;
        for (; j + 4 * L <= kv; j += 4 * L) {
            FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00, a03 = a00;
            FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
            FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
            FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
            for (int i = 0, ki = j; i < hs; i++, ki += Tp) {
                FloatVector k0 = FloatVector.fromArray(S, pk, ki), k1 = FloatVector.fromArray(S, pk, ki + L),
                        k2 = FloatVector.fromArray(S, pk, ki + 2 * L), k3 = FloatVector.fromArray(S, pk, ki + 3 * L);
                FloatVector v = FloatVector.broadcast(S, x[x0 + i]); // acc[r][j] += x_r[i] * y_j[i]
                a00 = v.fma(k0, a00); a01 = v.fma(k1, a01); a02 = v.fma(k2, a02); a03 = v.fma(k3, a03);
                v = FloatVector.broadcast(S, x[x1 + i]);
                a10 = v.fma(k0, a10); a11 = v.fma(k1, a11); a12 = v.fma(k2, a12); a13 = v.fma(k3, a13);
                v = FloatVector.broadcast(S, x[x2 + i]);
                a20 = v.fma(k0, a20); a21 = v.fma(k1, a21); a22 = v.fma(k2, a22); a23 = v.fma(k3, a23);
                v = FloatVector.broadcast(S, x[x3 + i]);
                a30 = v.fma(k0, a30); a31 = v.fma(k1, a31); a32 = v.fma(k2, a32); a33 = v.fma(k3, a33);
            }
            int r0 = d0 + j, r1 = r0 + Tp, r2 = r1 + Tp, r3 = r2 + Tp;
            a00.mul(scale).intoArray(dst, r0); a01.mul(scale).intoArray(dst, r0 + L);
            a02.mul(scale).intoArray(dst, r0 + 2 * L); a03.mul(scale).intoArray(dst, r0 + 3 * L);
            a10.mul(scale).intoArray(dst, r1); a11.mul(scale).intoArray(dst, r1 + L);
            a12.mul(scale).intoArray(dst, r1 + 2 * L); a13.mul(scale).intoArray(dst, r1 + 3 * L);
            a20.mul(scale).intoArray(dst, r2); a21.mul(scale).intoArray(dst, r2 + L);
            a22.mul(scale).intoArray(dst, r2 + 2 * L); a23.mul(scale).intoArray(dst, r2 + 3 * L);
            a30.mul(scale).intoArray(dst, r3); a31.mul(scale).intoArray(dst, r3 + L);
            a32.mul(scale).intoArray(dst, r3 + 2 * L); a33.mul(scale).intoArray(dst, r3 + 3 * L);
        }
        for (; j < kv; j += L) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int i = 0, ki = j; i < hs; i++, ki += Tp) {
                FloatVector k0 = FloatVector.fromArray(S, pk, ki);
                a0 = FloatVector.broadcast(S, x[x0 + i]).fma(k0, a0);
                a1 = FloatVector.broadcast(S, x[x1 + i]).fma(k0, a1);
                a2 = FloatVector.broadcast(S, x[x2 + i]).fma(k0, a2);
                a3 = FloatVector.broadcast(S, x[x3 + i]).fma(k0, a3);
            }
            a0.mul(scale).intoArray(dst, d0 + j);
            a1.mul(scale).intoArray(dst, d0 + Tp + j);
            a2.mul(scale).intoArray(dst, d0 + 2 * Tp + j);
            a3.mul(scale).intoArray(dst, d0 + 3 * Tp + j);
        }
    }

    /**
     * {@code rows} (at most QB) rows of dst += (or =, when {@code zero}) sum_s coef_r(s) * src_s at 512 bits, hs
     * (a multiple of 16) channels: row r of dst at dst[dr], its coefficient s at coef[cr + s*cs], source row s at
     * src[s0 + s*ss], s = 0 .. n-1 in increasing order, one fma each. Scalar meaning: the axpy loops of the scalar
     * twin (out += p v, dv += p dout, dq += dl k, dk += dl q), summed per output element in the same order.
     * The offsets of rows past {@code rows} must be valid (callers repeat the last row); they are never stored.
     */
    private static void axpyRows512(boolean zero, int rows, float[] dst, int d0, int d1, int d2, int d3,
                                    float[] coef, int c0, int c1, int c2, int c3, int cs,
                                    float[] src, int s0, int ss, int n, int hs) {
        final VectorSpecies<Float> S = FloatVector.SPECIES_512;
        final int L = 16;
        for (int c = 0; c < hs; c += L) {
            if (c + 4 * L <= hs) {
                FloatVector o00, o01, o02, o03, o10, o11, o12, o13, o20, o21, o22, o23, o30, o31, o32, o33;
                if (zero) {
                    o00 = FloatVector.zero(S); o01 = o00; o02 = o00; o03 = o00;
                    o10 = o00; o11 = o00; o12 = o00; o13 = o00;
                    o20 = o00; o21 = o00; o22 = o00; o23 = o00;
                    o30 = o00; o31 = o00; o32 = o00; o33 = o00;
                } else {
                    o00 = FloatVector.fromArray(S, dst, d0 + c); o01 = FloatVector.fromArray(S, dst, d0 + c + L);
                    o02 = FloatVector.fromArray(S, dst, d0 + c + 2 * L); o03 = FloatVector.fromArray(S, dst, d0 + c + 3 * L);
                    o10 = FloatVector.fromArray(S, dst, d1 + c); o11 = FloatVector.fromArray(S, dst, d1 + c + L);
                    o12 = FloatVector.fromArray(S, dst, d1 + c + 2 * L); o13 = FloatVector.fromArray(S, dst, d1 + c + 3 * L);
                    o20 = FloatVector.fromArray(S, dst, d2 + c); o21 = FloatVector.fromArray(S, dst, d2 + c + L);
                    o22 = FloatVector.fromArray(S, dst, d2 + c + 2 * L); o23 = FloatVector.fromArray(S, dst, d2 + c + 3 * L);
                    o30 = FloatVector.fromArray(S, dst, d3 + c); o31 = FloatVector.fromArray(S, dst, d3 + c + L);
                    o32 = FloatVector.fromArray(S, dst, d3 + c + 2 * L); o33 = FloatVector.fromArray(S, dst, d3 + c + 3 * L);
                }
                for (int s = 0, v = s0 + c, k = 0; s < n; s++, v += ss, k += cs) {
                    FloatVector v0 = FloatVector.fromArray(S, src, v), v1 = FloatVector.fromArray(S, src, v + L),
                            v2 = FloatVector.fromArray(S, src, v + 2 * L), v3 = FloatVector.fromArray(S, src, v + 3 * L);
                    FloatVector x = FloatVector.broadcast(S, coef[c0 + k]); // dst_r += coef_r(s) * src_s
                    o00 = x.fma(v0, o00); o01 = x.fma(v1, o01); o02 = x.fma(v2, o02); o03 = x.fma(v3, o03);
                    x = FloatVector.broadcast(S, coef[c1 + k]);
                    o10 = x.fma(v0, o10); o11 = x.fma(v1, o11); o12 = x.fma(v2, o12); o13 = x.fma(v3, o13);
                    x = FloatVector.broadcast(S, coef[c2 + k]);
                    o20 = x.fma(v0, o20); o21 = x.fma(v1, o21); o22 = x.fma(v2, o22); o23 = x.fma(v3, o23);
                    x = FloatVector.broadcast(S, coef[c3 + k]);
                    o30 = x.fma(v0, o30); o31 = x.fma(v1, o31); o32 = x.fma(v2, o32); o33 = x.fma(v3, o33);
                }
                o00.intoArray(dst, d0 + c); o01.intoArray(dst, d0 + c + L);
                o02.intoArray(dst, d0 + c + 2 * L); o03.intoArray(dst, d0 + c + 3 * L);
                if (rows > 1) {
                    o10.intoArray(dst, d1 + c); o11.intoArray(dst, d1 + c + L);
                    o12.intoArray(dst, d1 + c + 2 * L); o13.intoArray(dst, d1 + c + 3 * L);
                }
                if (rows > 2) {
                    o20.intoArray(dst, d2 + c); o21.intoArray(dst, d2 + c + L);
                    o22.intoArray(dst, d2 + c + 2 * L); o23.intoArray(dst, d2 + c + 3 * L);
                }
                if (rows > 3) {
                    o30.intoArray(dst, d3 + c); o31.intoArray(dst, d3 + c + L);
                    o32.intoArray(dst, d3 + c + 2 * L); o33.intoArray(dst, d3 + c + 3 * L);
                }
                c += 3 * L;
            } else {
                FloatVector o0, o1, o2, o3;
                if (zero) {
                    o0 = FloatVector.zero(S); o1 = o0; o2 = o0; o3 = o0;
                } else {
                    o0 = FloatVector.fromArray(S, dst, d0 + c); o1 = FloatVector.fromArray(S, dst, d1 + c);
                    o2 = FloatVector.fromArray(S, dst, d2 + c); o3 = FloatVector.fromArray(S, dst, d3 + c);
                }
                for (int s = 0, v = s0 + c, k = 0; s < n; s++, v += ss, k += cs) {
                    FloatVector v0 = FloatVector.fromArray(S, src, v);
                    o0 = FloatVector.broadcast(S, coef[c0 + k]).fma(v0, o0);
                    o1 = FloatVector.broadcast(S, coef[c1 + k]).fma(v0, o1);
                    o2 = FloatVector.broadcast(S, coef[c2 + k]).fma(v0, o2);
                    o3 = FloatVector.broadcast(S, coef[c3 + k]).fma(v0, o3);
                }
                o0.intoArray(dst, d0 + c);
                if (rows > 1) {
                    o1.intoArray(dst, d1 + c);
                }
                if (rows > 2) {
                    o2.intoArray(dst, d2 + c);
                }
                if (rows > 3) {
                    o3.intoArray(dst, d3 + c);
                }
            }
        }
    }

    /**
     * One (b, h) of {@link #attentionForward} at 512 bits (hs a multiple of 16), as two small matmuls over the
     * head's rows instead of one dot product per (query, key): K of the head is packed transposed so that QB
     * queries x 64 keys of logits accumulate in registers ({@link #rowsTimesPacked512}); softmax as in the generic
     * path; then out = P V with QB rows x 64 channels in registers ({@link #axpyRows512}). Writes only att block
     * (b, h) and the hs columns of head h in batch b's rows of out.
     */
    private static void headForward512(Lanes lanes, float[] out, float[] att, float[] qkv, int b, int h,
                                       int T, int C, int NH, boolean causal) {
        int hs = C / NH, C3 = 3 * C;
        float scale = (float) (1.0 / Math.sqrt(hs));
        int Tp = (T + 15) / 16 * 16;
        float[] buf = scratch(hs * Tp + QB * Tp);
        int lg = hs * Tp; // QB rows of logits
        int base = b * T * C3 + h * hs;
        packTransposed(qkv, base + C, C3, T, hs, buf, Tp);
        int att0 = (b * NH + h) * T * T;
        for (int t0 = 0; t0 < T; t0 += QB) {
            int rows = Math.min(QB, T - t0);
            // rows past T repeat the last query: computed, never stored
            int t1 = Math.min(t0 + 1, T - 1), t2r = Math.min(t0 + 2, T - 1), t3 = Math.min(t0 + 3, T - 1);
            int keys = causal ? Math.min(T, t0 + QB) : T;
            rowsTimesPacked512(qkv, base + t0 * C3, base + t1 * C3, base + t2r * C3, base + t3 * C3, hs,
                    buf, Tp, (keys + 15) / 16 * 16, scale, buf, lg);
            for (int r = 0; r < rows; r++) {
                int t = t0 + r;
                int a = att0 + t * T;
                int tEnd = causal ? t + 1 : T;
                int src = lg + r * Tp;
                float sum = Vec.expShifted(lanes, buf, src, att, a, tEnd, Vec.max(lanes, buf, src, tEnd));
                Vec.scale(lanes, 1f / sum, att, a, att, a, tEnd);
                Arrays.fill(att, a + tEnd, a + T, 0f);
            }
            int o = b * T * C + h * hs;
            axpyRows512(true, rows, out, o + t0 * C, o + t1 * C, o + t2r * C, o + t3 * C,
                    att, att0 + t0 * T, att0 + t1 * T, att0 + t2r * T, att0 + t3 * T, 1,
                    qkv, base + 2 * C, C3, keys, hs);
        }
    }

    /**
     * One (b, h) of {@link #attentionBackward} at 512 bits (hs a multiple of 16). datt = dout V^T as in the
     * forward's logits (V packed transposed), dl = P (datt - rowsum(P datt)) scale per row (the row sum left to
     * right as in the scalar twin) into a T x Tp scratch; then dq += dl K, dv += P^T dout and dk += dl^T Q, each a
     * block of QB rows x 64 channels in registers, summed over queries (or keys) in increasing order.
     */
    private static void headBackward512(float[] dqkv, float[] dout, float[] qkv, float[] att, int b, int h,
                                        int T, int C, int NH, boolean causal) {
        int hs = C / NH, C3 = 3 * C;
        float scale = (float) (1.0 / Math.sqrt(hs));
        int Tp = (T + 15) / 16 * 16;
        int Tq = (T + QB - 1) / QB * QB;
        float[] buf = scratch(hs * Tp + Tq * Tp);
        int dl0 = hs * Tp; // dl rows, Tp apart
        int base = b * T * C3 + h * hs;
        int ob = b * T * C + h * hs;
        int att0 = (b * NH + h) * T * T;
        packTransposed(qkv, base + 2 * C, C3, T, hs, buf, Tp);
        for (int t0 = 0; t0 < T; t0 += QB) {
            int rows = Math.min(QB, T - t0);
            int t1 = Math.min(t0 + 1, T - 1), t2r = Math.min(t0 + 2, T - 1), t3 = Math.min(t0 + 3, T - 1);
            int keys = causal ? Math.min(T, t0 + QB) : T;
            rowsTimesPacked512(dout, ob + t0 * C, ob + t1 * C, ob + t2r * C, ob + t3 * C, hs,
                    buf, Tp, (keys + 15) / 16 * 16, 1f, buf, dl0 + t0 * Tp);
            for (int r = 0; r < rows; r++) {
                int t = t0 + r;
                int a = att0 + t * T, d = dl0 + t * Tp;
                int tEnd = causal ? t + 1 : T;
                float dotPd = 0f;
                for (int t2 = 0; t2 < tEnd; t2++) {
                    dotPd += att[a + t2] * buf[d + t2];
                }
                for (int t2 = 0; t2 < tEnd; t2++) {
                    buf[d + t2] = att[a + t2] * (buf[d + t2] - dotPd) * scale;
                }
                Arrays.fill(buf, d + tEnd, d + Tp, 0f);
            }
        }
        for (int t0 = 0; t0 < T; t0 += QB) {
            int rows = Math.min(QB, T - t0);
            int t1 = Math.min(t0 + 1, T - 1), t2r = Math.min(t0 + 2, T - 1), t3 = Math.min(t0 + 3, T - 1);
            // dq rows t0.. += sum over keys t2 of dl[t][t2] * k_t2 (masked keys have dl = 0)
            int keys = causal ? Math.min(T, t0 + QB) : T;
            axpyRows512(false, rows, dqkv, base + t0 * C3, base + t1 * C3, base + t2r * C3, base + t3 * C3,
                    buf, dl0 + t0 * Tp, dl0 + t1 * Tp, dl0 + t2r * Tp, dl0 + t3 * Tp, 1,
                    qkv, base + C, C3, keys, hs);
            // keys t0.. : dv += sum over queries t of p[t][t2] * dout_t, dk += sum over t of dl[t][t2] * q_t;
            // under the causal mask only queries t >= t0 see these keys
            int from = causal ? t0 : 0;
            axpyRows512(false, rows, dqkv, base + 2 * C + t0 * C3, base + 2 * C + t1 * C3, base + 2 * C + t2r * C3,
                    base + 2 * C + t3 * C3, att, att0 + from * T + t0, att0 + from * T + t1, att0 + from * T + t2r,
                    att0 + from * T + t3, T, dout, ob + from * C, C, T - from, hs);
            axpyRows512(false, rows, dqkv, base + C + t0 * C3, base + C + t1 * C3, base + C + t2r * C3,
                    base + C + t3 * C3, buf, dl0 + from * Tp + t0, dl0 + from * Tp + t1, dl0 + from * Tp + t2r,
                    dl0 + from * Tp + t3, Tp, qkv, base + from * C3, C3, T - from, hs);
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
        if (lanes.bits() == 512 && hs % 16 == 0) {
            Parallel.forEach(B * NH, bh -> headBackward512(dqkv, dout, qkv, att, bh / NH, bh % NH, T, C, NH, causal));
            return;
        }
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
