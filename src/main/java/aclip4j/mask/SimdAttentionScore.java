package aclip4j.mask;

import aclip4j.kernel.Lanes;
import aclip4j.kernel.Vec;

/**
 * {@link AttentionScore} in plain Java with the Vector API (SPEC §3). Only the CLS query row of each head is
 * needed, so this never forms the {@code T x T} attention matrix: {@code T} dot products of length {@code hs},
 * one numerically stable softmax, and the patch part of the row added into the score.
 *
 * <p>Every step is a {@link Vec} primitive, so the scalar specification and every lane width give the same bits
 * (docs/SPEC.md §13). For layer {@code l}, image {@code b}, head {@code h}:
 * <pre>
 *   z[j]  = dot(q[0], k[j]) · scale        j &lt; T: the §13.2 16-partial fma order over hs, then one rounded product
 *   mx    = max_j z[j]                     exact
 *   e[j]  = exp(z[j] − mx)                 the rounded difference, then VecMath.exp (never Math.exp)
 *   sum   = Σ_j e[j]                       the §13.2 16-partial order over T
 *   p[j]  = e[j] / sum                     a true division
 *   s[b][i] += p[1+i]                      i &lt; N, from 0, for l then h in increasing order (§13.4)
 * </pre>
 * and finally {@code s[b][i] / (L'·H)}, a true division.
 */
public final class SimdAttentionScore implements AttentionScore {
    private final Lanes lanes;

    public SimdAttentionScore() {
        this(Lanes.preferred());
    }

    public SimdAttentionScore(Lanes lanes) {
        this.lanes = lanes;
    }

    @Override
    public float[] fromQueryKey(float[] q, float[] k, int L, int B, int H, int T, int hs, Layers layers) {
        // q, k are (L,B,H,T,hs); out is (B,N)
        AttentionScore.checkDims(L, B, H, T, hs);
        Checks.length("q", q.length, "[L,B,H,T,hs]", L, B, H, T, hs);
        Checks.length("k", k.length, "[L,B,H,T,hs]", L, B, H, T, hs);
        int N = T - 1;
        float scale = AttentionScore.scale(hs);
        float[] row = new float[T];
        float[] sum = new float[B * N];
        for (int l = AttentionScore.firstLayer(L, layers); l < L; l++) {
            for (int b = 0; b < B; b++) {
                for (int h = 0; h < H; h++) {
                    int head = ((l * B + b) * H + h) * T * hs;
                    // logits of the CLS query (token 0) against every key, CLS included (§1.4: softmax over all T)
                    for (int j = 0; j < T; j++) {
                        row[j] = dot(lanes, q, head, k, head + j * hs, hs) * scale;
                    }
                    softmaxInPlace(lanes, row, 0, T);
                    // §3: keys 1..T-1 only; the CLS-self weight is dropped without renormalising
                    addInto(lanes, sum, b * N, row, 1, N);
                }
            }
        }
        divideInPlace(lanes, sum, (float) (AttentionScore.layerCount(L, layers) * H));
        return sum;
    }

    @Override
    public float[] fromClsAttention(float[] clsProbs, int L, int B, int H, int T, Layers layers) {
        // clsProbs is (L,B,H,T); out is (B,N)
        AttentionScore.checkDims(L, B, H, T, 1);
        Checks.length("CLS attention", clsProbs.length, "[L,B,H,T]", L, B, H, T);
        int N = T - 1;
        float[] sum = new float[B * N];
        for (int l = AttentionScore.firstLayer(L, layers); l < L; l++) {
            for (int b = 0; b < B; b++) {
                for (int h = 0; h < H; h++) {
                    addInto(lanes, sum, b * N, clsProbs, ((l * B + b) * H + h) * T + 1, N);
                }
            }
        }
        divideInPlace(lanes, sum, (float) (AttentionScore.layerCount(L, layers) * H));
        return sum;
    }


    /**
     * Softmax of x[off..off+n) in place: subtract the max so exp never overflows ({@link Vec#max}), the
     * exponentials and their canonical sum ({@link Vec#expShifted}), then a true division by it
     * ({@link Vec#divide}).
     */
    static void softmaxInPlace(Lanes lanes, float[] x, int off, int n) {
        float max = Vec.max(lanes, x, off, n);
        float sum = Vec.expShifted(lanes, x, off, x, off, n, max);
        Vec.divide(lanes, x, off, n, sum);
    }

    /** sum over i < n of a[aOff+i] * b[bOff+i]: {@link Vec#dot}. */
    static float dot(Lanes lanes, float[] a, int aOff, float[] b, int bOff, int n) {
        return Vec.dot(lanes, a, aOff, b, bOff, n);
    }

    /** dst[dOff+i] += src[sOff+i] for i < n: {@link Vec#accumulate}. */
    static void addInto(Lanes lanes, float[] dst, int dOff, float[] src, int sOff, int n) {
        Vec.accumulate(lanes, dst, dOff, src, sOff, n);
    }

    /** x[i] /= divisor for every i: {@link Vec#divide}. */
    static void divideInPlace(Lanes lanes, float[] x, float divisor) {
        Vec.divide(lanes, x, 0, x.length, divisor);
    }
}
