package aclip4j.kernel;

import static aclip4j.kernel.Lanes.LENGTH;
import static aclip4j.kernel.Lanes.SPECIES;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

/**
 * Multi-head scaled dot-product attention (SPEC §1.4, §2), llm.c layout.
 * Shapes: qkv (B,T,3C) packed as PyTorch's qkv / in_proj Linear writes it: q in [0,C), k in [C,2C), v in [2C,3C),
 * each split into NH heads of hs = C/NH consecutive channels; out (B,T,C) heads concatenated;
 * att (B,NH,T,T) the saved softmax probabilities (0 where the causal mask hides a key).
 * Logits are scaled by {@code scale = (float) (1 / sqrt(hs))}; {@code causal} hides keys strictly after the query
 * (the additive -inf mask of §2): query t sees the keys {@code t2 < tEnd(t)}, {@code tEnd(t) = causal ? t + 1 : T}.
 *
 * <p><b>Summation order</b> (docs/SPEC.md §13; the scalar twins {@link #attentionForwardScalar} and
 * {@link #attentionBackwardScalar} are the specification, and the vector code gives exactly their bits at every
 * width). Per (b, h), with q_t, k_t, v_t, dout_t the head's hs channels of token t:
 * <ul>
 *   <li>logit[t][t2] = acc * scale, acc = 0 then {@code acc = fma(q_t[i], k_t2[i], acc)} for i = 0 .. hs-1
 *       (a matrix product, §13.3: sequential, no lane split), for t2 &lt; tEnd(t);</li>
 *   <li>softmax of row t over t2 &lt; tEnd(t): m = max (exact), e = {@link VecMath#exp}(logit - m), sum = the
 *       e's in the 16-partial order of §13.2 (both by {@link Vec#expShifted}), p = (1 / sum) * e
 *       ({@link Vec#scale}); p = 0 for the masked t2 &ge; tEnd(t);</li>
 *   <li>out_t[i] = acc, acc = 0 then {@code acc = fma(p[t][t2], v_t2[i], acc)} for t2 = 0 .. tEnd(t)-1.</li>
 * </ul>
 * Backward, adding into dqkv (every dq/dk/dv element starts from the value already there):
 * <ul>
 *   <li>datt[t][t2] = acc, acc = 0 then {@code acc = fma(dout_t[i], v_t2[i], acc)} for i = 0 .. hs-1;</li>
 *   <li>rowsum[t] = sum over t2 &lt; tEnd(t) of p[t][t2] * datt[t][t2] in the 16-partial order of §13.2, one fma
 *       per term ({@link Vec#dot});</li>
 *   <li>dl[t][t2] = (p[t][t2] * (datt[t][t2] - rowsum[t])) * scale: a subtraction, then two rounded products
 *       in that order, never fused;</li>
 *   <li>dq_t[i]: {@code fma(dl[t][t2], k_t2[i], dq)} for t2 = 0 .. tEnd(t)-1;
 *       dk_t2[i]: {@code fma(dl[t][t2], q_t[i], dk)} and dv_t2[i]: {@code fma(p[t][t2], dout_t[i], dv)} for the
 *       queries t that see t2 (t &ge; t2 when causal, all t otherwise) in increasing order.</li>
 * </ul>
 * Masked (query, key) pairs contribute no term at all (not a zero term: {@code fma(0, inf, x)} is NaN and
 * {@code fma(0, v, -0)} is +0), so a hidden key's values never reach a query.
 *
 * <p><b>Vector code.</b> One {@link Parallel} task per (batch, head): a task writes only its own att block and
 * the hs columns of its head in its batch's rows of out (forward) or of dqkv (backward), so the result has the
 * same bits for any thread count. A head runs as small register-blocked matrix products, written once over
 * {@link Lanes#SPECIES}: the logits (and datt) with lanes along keys, QB queries x {@link #NV} vectors of keys in
 * registers, K (or V) packed transposed and zero-padded to a multiple of 16 keys (a multiple of every lane count);
 * out, dq, dk and dv with lanes along channels, QB rows x NV vectors of channels in registers, the last
 * {@code hs mod LENGTH} channels in scalar {@code Math.fma}. Each output element still receives its terms one
 * fma at a time in the order above; the tile only decides which elements are computed together.
 */
public final class Attention {
    private Attention() {}

    /** Rows (queries, or keys for dk and dv) one register block handles at once. */
    private static final int QB = 4;

    /**
     * Vectors per row of a register block. With 32 vector registers ({@link Lanes#REGISTERS}: AVX-512 at any
     * width, AArch64) 4 rows x 4 vectors = 16 accumulators, 4 loaded vectors and a broadcast fit. AVX2 and SSE have
     * 16: 4 x 2 = 8 accumulators + 2 + 1, where 4 x 4 would spill. The tile never changes the bits (each element is summed in
     * the same order), only how many loads each fma shares.
     */
    private static final int NV = Lanes.REGISTERS >= 32 ? 4 : 2;

    /** Sum ranges of the rows of a block: all [0, n); row t over [0, t + 1) (causal out, dq); over [t, n). */
    private static final int ALL = 0, PREFIX = 1, SUFFIX = 2;

    private static final ThreadLocal<float[]> SCRATCH = new ThreadLocal<>();

    private static float[] scratch(int size) {
        float[] buf = SCRATCH.get();
        if (buf == null || buf.length < size) {
            buf = new float[size];
            SCRATCH.set(buf);
        }
        return buf;
    }

    private static int roundUp16(int n) {
        return (n + 15) & ~15;
    }

    // ---------------------------------------------------------------------------------------------------------
    // forward

    /** out (B,T,C), att (B,NH,T,T) from qkv (B,T,3C). */
    public static void attentionForward(Lanes lanes, float[] out, float[] att, float[] qkv,
                                        int B, int T, int C, int NH, boolean causal) {
        long t0 = KernelTimes.start();
        if (lanes.scalar()) {
            attentionForwardScalar(out, att, qkv, B, T, C, NH, causal);
            KernelTimes.stop(KernelTimes.Family.ATTENTION, t0);
            return;
        }
        Parallel.forEach(B * NH, bh -> headForward(lanes, out, att, qkv, bh / NH, bh % NH, T, C, NH, causal));
        KernelTimes.stop(KernelTimes.Family.ATTENTION, t0);
    }

    /**
     * One (b, h) of {@link #attentionForward}: K of the head packed transposed, QB queries x (NV vectors of keys)
     * of logits accumulated in registers ({@link #rowsTimesPacked}); the softmax rows on {@link Vec}; then
     * out = P V with QB rows x (NV vectors of channels) in registers ({@link #axpyRanges}). Writes only att block
     * (b, h) and the hs columns of head h in batch b's rows of out.
     */
    private static void headForward(Lanes lanes, float[] out, float[] att, float[] qkv, int b, int h,
                                    int T, int C, int NH, boolean causal) {
        int hs = C / NH, C3 = 3 * C;
        float scale = (float) (1.0 / Math.sqrt(hs));
        int Tp = roundUp16(T);
        float[] buf = scratch(hs * Tp + QB * Tp + 2 * T * hs);
        int lg = hs * Tp; // QB rows of logits, Tp apart
        int qp = lg + QB * Tp, vp = qp + T * hs; // the head's q and v rows, contiguous
        int base = b * T * C3 + h * hs; // q of token t at base + t*C3, k at +C, v at +2C
        int ob = b * T * C + h * hs;
        int att0 = (b * NH + h) * T * T;
        packTransposed(qkv, base + C, C3, T, hs, buf, Tp);
        packRows(qkv, base, C3, T, hs, buf, qp);
        packRows(qkv, base + 2 * C, C3, T, hs, buf, vp);
        for (int t0 = 0; t0 < T; t0 += QB) {
            int rows = Math.min(QB, T - t0);
            // logits of the keys any row of the block sees (padded keys and rows past T: computed, never read)
            int keys = causal ? t0 + rows : T;
            rowsTimesPacked(buf, qp, hs, t0, rows, hs, buf, Tp, roundUp16(keys), buf, lg);
            for (int r = 0; r < rows; r++) {
                int t = t0 + r;
                int a = att0 + t * T;
                int tEnd = causal ? t + 1 : T;
                int src = lg + r * Tp;
                Vec.scale(lanes, scale, buf, src, buf, src, tEnd); // logit = acc * scale, one rounding
                float sum = Vec.expShifted(lanes, buf, src, att, a, tEnd, Vec.max(lanes, buf, src, tEnd));
                Vec.scale(lanes, 1f / sum, att, a, att, a, tEnd);
                Arrays.fill(att, a + tEnd, a + T, 0f);
            }
            // out_t = sum over the keys t2 < tEnd(t) of p[t][t2] v_t2
            axpyRanges(causal ? PREFIX : ALL, true, t0, rows, T, out, ob, C, att, att0, T, 1,
                    buf, vp, hs, hs);
        }
    }

    /** The specification of {@link #attentionForward} (summation order: the class comment). */
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
                    for (int t2 = 0; t2 < tEnd; t2++) {
                        int k = b * T * C3 + t2 * C3 + C + h * hs;
                        float acc = 0f;
                        for (int i = 0; i < hs; i++) {
                            acc = Math.fma(qkv[q + i], qkv[k + i], acc);
                        }
                        att[a + t2] = acc * scale;
                    }
                    float max = Vec.maxScalar(att, a, tEnd);
                    float sum = Vec.expShiftedScalar(att, a, att, a, tEnd, max);
                    Vec.scaleScalar(1f / sum, att, a, att, a, tEnd);
                    for (int t2 = tEnd; t2 < T; t2++) {
                        att[a + t2] = 0f;
                    }
                    int o = b * T * C + t * C + h * hs;
                    Arrays.fill(out, o, o + hs, 0f);
                    for (int t2 = 0; t2 < tEnd; t2++) { // each out[o + i] over t2 in increasing order
                        int v = b * T * C3 + t2 * C3 + 2 * C + h * hs;
                        for (int i = 0; i < hs; i++) {
                            out[o + i] = Math.fma(att[a + t2], qkv[v + i], out[o + i]);
                        }
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // backward

    /**
     * dqkv (B,T,3C) += gradient of the attention output dout (B,T,C), given the saved att (B,NH,T,T).
     * Softmax backward: dlogit[t2] = att[t2] * (datt[t2] - sum_t3 att[t3] datt[t3]), times the logit scale.
     */
    public static void attentionBackward(Lanes lanes, float[] dqkv, float[] dout, float[] qkv, float[] att,
                                         int B, int T, int C, int NH, boolean causal) {
        long t0 = KernelTimes.start();
        if (lanes.scalar()) {
            attentionBackwardScalar(dqkv, dout, qkv, att, B, T, C, NH, causal);
            KernelTimes.stop(KernelTimes.Family.ATTENTION, t0);
            return;
        }
        // one task per (b, h): its dq, dk, dv are the hs columns of head h in batch b's rows, disjoint from
        // every other task's
        Parallel.forEach(B * NH, bh -> headBackward(lanes, dqkv, dout, qkv, att, bh / NH, bh % NH, T, C, NH,
                causal));
        KernelTimes.stop(KernelTimes.Family.ATTENTION, t0);
    }

    /**
     * One (b, h) of {@link #attentionBackward}: datt = dout V^T as the forward's logits (V packed transposed),
     * dl per row into a T x Tp scratch; then dq += dl K, dv += P^T dout and dk += dl^T Q, each in blocks of QB
     * rows x (NV vectors of channels) in registers.
     */
    private static void headBackward(Lanes lanes, float[] dqkv, float[] dout, float[] qkv, float[] att, int b,
                                     int h, int T, int C, int NH, boolean causal) {
        int hs = C / NH, C3 = 3 * C;
        float scale = (float) (1.0 / Math.sqrt(hs));
        int Tp = roundUp16(T);
        int Tq = (T + QB - 1) / QB * QB;
        float[] buf = scratch(hs * Tp + Tq * Tp + 3 * T * hs);
        int dl0 = hs * Tp; // datt, then dl, rows Tp apart
        int qp = dl0 + Tq * Tp, kp = qp + T * hs, dp = kp + T * hs; // the head's q, k and dout rows, contiguous
        int base = b * T * C3 + h * hs;
        int ob = b * T * C + h * hs;
        int att0 = (b * NH + h) * T * T;
        packTransposed(qkv, base + 2 * C, C3, T, hs, buf, Tp);
        packRows(qkv, base, C3, T, hs, buf, qp);
        packRows(qkv, base + C, C3, T, hs, buf, kp);
        packRows(dout, ob, C, T, hs, buf, dp);
        for (int t0 = 0; t0 < T; t0 += QB) {
            int rows = Math.min(QB, T - t0);
            int keys = causal ? t0 + rows : T;
            rowsTimesPacked(buf, dp, hs, t0, rows, hs, buf, Tp, roundUp16(keys), buf, dl0 + t0 * Tp);
            for (int r = 0; r < rows; r++) {
                int t = t0 + r;
                dlRow(lanes, att, att0 + t * T, buf, dl0 + t * Tp, causal ? t + 1 : T, scale);
            }
        }
        for (int t0 = 0; t0 < T; t0 += QB) {
            int rows = Math.min(QB, T - t0);
            // queries t: dq_t += sum over the keys t2 < tEnd(t) of dl[t][t2] k_t2
            axpyRanges(causal ? PREFIX : ALL, false, t0, rows, T, dqkv, base, C3, buf, dl0, Tp, 1,
                    buf, kp, hs, hs);
            // keys t2: dv += sum over the queries t that see t2 of p[t][t2] dout_t, dk of dl[t][t2] q_t
            axpyRanges(causal ? SUFFIX : ALL, false, t0, rows, T, dqkv, base + 2 * C, C3, att, att0, 1, T,
                    buf, dp, hs, hs);
            axpyRanges(causal ? SUFFIX : ALL, false, t0, rows, T, dqkv, base + C, C3, buf, dl0, 1, Tp,
                    buf, qp, hs, hs);
        }
    }

    /**
     * One row of dl in place of datt: d[i] = (p[i] * (d[i] - rowsum)) * scale for i &lt; n, rowsum = sum p[i] d[i]
     * in the canonical order ({@link Vec#dot}); the same operations in the vector loop and the scalar tail.
     */
    private static void dlRow(Lanes lanes, float[] p, int po, float[] d, int dOff, int n, float scale) {
        float rowsum = Vec.dot(lanes, p, po, d, dOff, n);
        int i = 0;
        if (!lanes.scalar()) {
            for (int bound = SPECIES.loopBound(n); i < bound; i += LENGTH) {
                FloatVector.fromArray(SPECIES, p, po + i)
                        .mul(FloatVector.fromArray(SPECIES, d, dOff + i).sub(rowsum))
                        .mul(scale)
                        .intoArray(d, dOff + i);
            }
        }
        for (; i < n; i++) {
            d[dOff + i] = (p[po + i] * (d[dOff + i] - rowsum)) * scale;
        }
    }

    /** The specification of {@link #attentionBackward} (summation order: the class comment). */
    public static void attentionBackwardScalar(float[] dqkv, float[] dout, float[] qkv, float[] att,
                                               int B, int T, int C, int NH, boolean causal) {
        int hs = C / NH, C3 = 3 * C;
        float scale = (float) (1.0 / Math.sqrt(hs));
        float[] dl = new float[T];
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < NH; h++) {
                // t in increasing order: dq_t is complete after its iteration; dk_t2 and dv_t2 receive the term of
                // query t at iteration t, so in increasing t
                for (int t = 0; t < T; t++) {
                    int q = b * T * C3 + t * C3 + h * hs;
                    int a = ((b * NH + h) * T + t) * T;
                    int o = b * T * C + t * C + h * hs;
                    int tEnd = causal ? t + 1 : T;
                    for (int t2 = 0; t2 < tEnd; t2++) {
                        int v = b * T * C3 + t2 * C3 + 2 * C + h * hs;
                        float acc = 0f;
                        for (int i = 0; i < hs; i++) {
                            acc = Math.fma(dout[o + i], qkv[v + i], acc);
                        }
                        dl[t2] = acc; // datt
                    }
                    dlRow(Lanes.SCALAR, att, a, dl, 0, tEnd, scale);
                    for (int t2 = 0; t2 < tEnd; t2++) { // each dq_t[i] over t2 in increasing order
                        int k = b * T * C3 + t2 * C3 + C + h * hs, v = k + C;
                        float p = att[a + t2];
                        for (int i = 0; i < hs; i++) {
                            dqkv[q + i] = Math.fma(dl[t2], qkv[k + i], dqkv[q + i]);
                            dqkv[k + i] = Math.fma(dl[t2], qkv[q + i], dqkv[k + i]);
                            dqkv[v + i] = Math.fma(p, dout[o + i], dqkv[v + i]);
                        }
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // the register-blocked products, written once over Lanes.SPECIES

    /**
     * dst[d0 + t*hs + i] = x[x0 + t*xs + i] for t &lt; T, i &lt; hs: a head's rows, spread {@code xs} apart across
     * as many memory pages in the (B,T,3C) layout, made contiguous before the register blocks stream them once per
     * block of queries. Pure data movement.
     */
    private static void packRows(float[] x, int x0, int xs, int T, int hs, float[] dst, int d0) {
        for (int t = 0; t < T; t++) {
            System.arraycopy(x, x0 + t * xs, dst, d0 + t * hs, hs);
        }
    }

    /**
     * pk[i*Tp + t2] = X(t2, i) for the hs channels of rows t2 &lt; T at x[x0 + t2*xs]; zero for t2 in [T, Tp). Whole
     * 16 x 16 (512-bit) or 8 x 8 (256-bit) blocks go through registers ({@link MatmulGemm#transposeBlocks}; element
     * by element, at 256 bits, it took as long as the logits product it feeds).
     */
    private static void packTransposed(float[] x, int x0, int xs, int T, int hs, float[] pk, int Tp) {
        int done = 0; // rows t2 < done are packed
        int tb = MatmulGemm.TRANSPOSE_BLOCK;
        if (tb > 0 && hs % tb == 0) {
            done = T / tb * tb;
            MatmulGemm.transposeBlocks(x, x0, xs, done, hs, pk, 0, Tp);
        }
        for (int t2 = done; t2 < T; t2++) {
            for (int i = 0, src = x0 + t2 * xs; i < hs; i++) {
                pk[i * Tp + t2] = x[src + i];
            }
        }
        for (int i = 0; i < hs; i++) {
            Arrays.fill(pk, i * Tp + T, i * Tp + Tp, 0f);
        }
    }

    /**
     * QB rows of {@code X Y^T}: for the rows t = t0 + r (r &lt; QB; rows past {@code rows} repeat the last one) of
     * X at x[xBase + t*xs], dst[d0 + r*Tp + j] = acc for j &lt; kv (a multiple of 16, so of LENGTH), acc = 0 then
     * {@code fma(x_t[i], pk[i*Tp + j], acc)} for i = 0 .. hs-1; pk is Y packed by {@link #packTransposed}. All QB
     * rows of dst are written (dst must hold them). The forward scales its logits afterwards, row by row: a
     * multiplication in the tile's stores took C2 past its node budget inside the training step, which then left
     * the last of them, and their stores, as Java calls allocating a vector each (about 650 MB a step;
     * BENCHMARKS.md, eighth session).
     */
    private static void rowsTimesPacked(float[] x, int xBase, int xs, int t0, int rows, int hs, float[] pk,
                                        int Tp, int kv, float[] dst, int d0) {
        int last = t0 + rows - 1;
        int x0 = xBase + t0 * xs, x1 = xBase + Math.min(t0 + 1, last) * xs,
                x2 = xBase + Math.min(t0 + 2, last) * xs, x3 = xBase + Math.min(t0 + 3, last) * xs;
        int j = 0;
        for (; j + NV * LENGTH <= kv; j += NV * LENGTH) {
            rowsTimesPackedTile(x, x0, x1, x2, x3, hs, pk, Tp, j, dst, d0);
        }
        for (; j < kv; j += LENGTH) { // kv is a multiple of LENGTH: whole vectors only
            rowsTimesPackedVector(x, x0, x1, x2, x3, hs, pk, Tp, j, dst, d0);
        }
    }

    /**
     * The QB x {@link #NV}-vector register block of {@link #rowsTimesPacked} at keys j (row r of X at x[xr]). Its own
     * method, and so its own C2 compilation: as one method with the single-vector loop below it went past C2's node
     * budget in some JVMs, which then left the last Vector API calls as Java calls (objects per vector, attention
     * 2.1-2.2 s of a batch-32 A-CLIP step instead of 0.8-1.0; BENCHMARKS.md, seventh session).
     */
    private static void rowsTimesPackedTile(float[] x, int x0, int x1, int x2, int x3, int hs, float[] pk, int Tp,
                                            int j, float[] dst, int d0) {
        FloatVector a00 = FloatVector.zero(SPECIES), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        for (int i = 0, ki = j; i < hs; i++, ki += Tp) {
            FloatVector k0 = FloatVector.fromArray(SPECIES, pk, ki);
            FloatVector k1 = FloatVector.fromArray(SPECIES, pk, ki + LENGTH);
            FloatVector k2 = k0, k3 = k0;
            if (NV > 2) {
                k2 = FloatVector.fromArray(SPECIES, pk, ki + 2 * LENGTH);
                k3 = FloatVector.fromArray(SPECIES, pk, ki + 3 * LENGTH);
            }
            FloatVector v = FloatVector.broadcast(SPECIES, x[x0 + i]); // acc[r][j] = fma(x_r[i], y_j[i], acc)
            a00 = v.fma(k0, a00);
            a01 = v.fma(k1, a01);
            if (NV > 2) {
                a02 = v.fma(k2, a02);
                a03 = v.fma(k3, a03);
            }
            v = FloatVector.broadcast(SPECIES, x[x1 + i]);
            a10 = v.fma(k0, a10);
            a11 = v.fma(k1, a11);
            if (NV > 2) {
                a12 = v.fma(k2, a12);
                a13 = v.fma(k3, a13);
            }
            v = FloatVector.broadcast(SPECIES, x[x2 + i]);
            a20 = v.fma(k0, a20);
            a21 = v.fma(k1, a21);
            if (NV > 2) {
                a22 = v.fma(k2, a22);
                a23 = v.fma(k3, a23);
            }
            v = FloatVector.broadcast(SPECIES, x[x3 + i]);
            a30 = v.fma(k0, a30);
            a31 = v.fma(k1, a31);
            if (NV > 2) {
                a32 = v.fma(k2, a32);
                a33 = v.fma(k3, a33);
            }
        }
        int r0 = d0 + j, r1 = r0 + Tp, r2 = r1 + Tp, r3 = r2 + Tp;
        a00.intoArray(dst, r0);
        a01.intoArray(dst, r0 + LENGTH);
        a10.intoArray(dst, r1);
        a11.intoArray(dst, r1 + LENGTH);
        a20.intoArray(dst, r2);
        a21.intoArray(dst, r2 + LENGTH);
        a30.intoArray(dst, r3);
        a31.intoArray(dst, r3 + LENGTH);
        if (NV > 2) {
            a02.intoArray(dst, r0 + 2 * LENGTH);
            a03.intoArray(dst, r0 + 3 * LENGTH);
            a12.intoArray(dst, r1 + 2 * LENGTH);
            a13.intoArray(dst, r1 + 3 * LENGTH);
            a22.intoArray(dst, r2 + 2 * LENGTH);
            a23.intoArray(dst, r2 + 3 * LENGTH);
            a32.intoArray(dst, r3 + 2 * LENGTH);
            a33.intoArray(dst, r3 + 3 * LENGTH);
        }
    }

    /** One vector of keys (from j) of the QB rows of {@link #rowsTimesPacked}: the keys left after its tiles. */
    private static void rowsTimesPackedVector(float[] x, int x0, int x1, int x2, int x3, int hs, float[] pk,
                                              int Tp, int j, float[] dst, int d0) {
        FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0;
        for (int i = 0, ki = j; i < hs; i++, ki += Tp) {
            FloatVector k0 = FloatVector.fromArray(SPECIES, pk, ki);
            a0 = FloatVector.broadcast(SPECIES, x[x0 + i]).fma(k0, a0);
            a1 = FloatVector.broadcast(SPECIES, x[x1 + i]).fma(k0, a1);
            a2 = FloatVector.broadcast(SPECIES, x[x2 + i]).fma(k0, a2);
            a3 = FloatVector.broadcast(SPECIES, x[x3 + i]).fma(k0, a3);
        }
        a0.intoArray(dst, d0 + j);
        a1.intoArray(dst, d0 + Tp + j);
        a2.intoArray(dst, d0 + 2 * Tp + j);
        a3.intoArray(dst, d0 + 3 * Tp + j);
    }

    /**
     * For the rows t = t0 .. t0+rows-1 of a block: dst_t[c] (+)= sum over s of coef[cBase + t*cRow + s*cs] *
     * src[sBase + s*ss + c], c &lt; hs, one fma per term in increasing s, s over [0, n) ({@code ALL}),
     * [0, t + 1) ({@code PREFIX}: the keys a causal query sees) or [t, n) ({@code SUFFIX}: the queries that see a
     * causal key). The rows' ranges differ only in their first or last {@code rows - 1} steps; those are done by
     * extra passes over the rows that take them, each pass passing the accumulators through dst unchanged, so
     * every element gets exactly its own terms in order. {@code zero}: the first pass starts from 0 (with
     * {@code PREFIX} or {@code ALL}, where it covers every row) instead of dst.
     */
    private static void axpyRanges(int mode, boolean zero, int t0, int rows, int n,
                                   float[] dst, int dBase, int dRow, float[] coef, int cBase, int cRow, int cs,
                                   float[] src, int sBase, int ss, int hs) {
        switch (mode) {
            case ALL -> axpyRows(zero, t0, rows, dst, dBase, dRow, coef, cBase, cRow, cs, src, sBase, ss, 0, n, hs);
            case PREFIX -> {
                // all rows over [0, t0 + 1), then rows t >= t0 + j take step t0 + j
                axpyRows(zero, t0, rows, dst, dBase, dRow, coef, cBase, cRow, cs, src, sBase, ss, 0, t0 + 1, hs);
                for (int j = 1; j < rows; j++) {
                    axpyRows(false, t0 + j, rows - j, dst, dBase, dRow, coef, cBase, cRow, cs, src, sBase, ss,
                            t0 + j, t0 + j + 1, hs);
                }
            }
            default -> {
                if (zero) {
                    throw new IllegalArgumentException("SUFFIX ranges accumulate into dst");
                }
                // rows t <= t0 + j take step t0 + j, then all rows over [t0 + rows - 1, n)
                for (int j = 0; j < rows - 1; j++) {
                    axpyRows(false, t0, j + 1, dst, dBase, dRow, coef, cBase, cRow, cs, src, sBase, ss,
                            t0 + j, t0 + j + 1, hs);
                }
                axpyRows(false, t0, rows, dst, dBase, dRow, coef, cBase, cRow, cs, src, sBase, ss,
                        t0 + rows - 1, n, hs);
            }
        }
    }

    /**
     * The register block of {@link #axpyRanges}: rows t = t0 + r, r &lt; rows &le; QB (rows past {@code rows}
     * repeat the last one: computed, never stored), all over the same steps s in [sFrom, sTo). Row t of dst at
     * dst[dBase + t*dRow], its coefficient of step s at coef[cBase + t*cRow + s*cs], source row s at
     * src[sBase + s*ss]. Channels in tiles of NV vectors, then single vectors, then the {@code hs mod LENGTH} rest
     * with {@code Math.fma}: each element acc = (zero ? 0 : dst), {@code acc = fma(coef_t(s), src_s[c], acc)}.
     */
    private static void axpyRows(boolean zero, int t0, int rows, float[] dst, int dBase, int dRow,
                                 float[] coef, int cBase, int cRow, int cs,
                                 float[] src, int sBase, int ss, int sFrom, int sTo, int hs) {
        int last = t0 + rows - 1;
        int t1 = Math.min(t0 + 1, last), t2 = Math.min(t0 + 2, last), t3 = Math.min(t0 + 3, last);
        int d0 = dBase + t0 * dRow, d1 = dBase + t1 * dRow, d2 = dBase + t2 * dRow, d3 = dBase + t3 * dRow;
        int c0 = cBase + t0 * cRow + sFrom * cs, c1 = cBase + t1 * cRow + sFrom * cs,
                c2 = cBase + t2 * cRow + sFrom * cs, c3 = cBase + t3 * cRow + sFrom * cs;
        int sv = sBase + sFrom * ss, steps = sTo - sFrom;
        int c = 0;
        for (; c + NV * LENGTH <= hs; c += NV * LENGTH) {
            axpyTile(zero, rows, dst, d0 + c, d1 + c, d2 + c, d3 + c, coef, c0, c1, c2, c3, cs, src, sv + c, ss, steps);
        }
        if (NV > 2) { // hs below NV vectors (hs 32 at 512 bits): tiles of two vectors before single ones
            for (; c + 2 * LENGTH <= hs; c += 2 * LENGTH) {
                axpyTile2(zero, rows, dst, d0 + c, d1 + c, d2 + c, d3 + c, coef, c0, c1, c2, c3, cs,
                        src, sv + c, ss, steps);
            }
        }
        for (; c + LENGTH <= hs; c += LENGTH) {
            FloatVector o0, o1, o2, o3;
            if (zero) {
                o0 = FloatVector.zero(SPECIES);
                o1 = o0;
                o2 = o0;
                o3 = o0;
            } else {
                o0 = FloatVector.fromArray(SPECIES, dst, d0 + c);
                o1 = FloatVector.fromArray(SPECIES, dst, d1 + c);
                o2 = FloatVector.fromArray(SPECIES, dst, d2 + c);
                o3 = FloatVector.fromArray(SPECIES, dst, d3 + c);
            }
            for (int s = 0, v = sv + c, k = 0; s < steps; s++, v += ss, k += cs) {
                FloatVector v0 = FloatVector.fromArray(SPECIES, src, v);
                o0 = FloatVector.broadcast(SPECIES, coef[c0 + k]).fma(v0, o0);
                o1 = FloatVector.broadcast(SPECIES, coef[c1 + k]).fma(v0, o1);
                o2 = FloatVector.broadcast(SPECIES, coef[c2 + k]).fma(v0, o2);
                o3 = FloatVector.broadcast(SPECIES, coef[c3 + k]).fma(v0, o3);
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
        for (; c < hs; c++) { // the last hs mod LENGTH channels, the same fma per term
            axpyColumn(zero, dst, d0 + c, coef, c0, cs, src, sv + c, ss, steps);
            if (rows > 1) {
                axpyColumn(zero, dst, d1 + c, coef, c1, cs, src, sv + c, ss, steps);
            }
            if (rows > 2) {
                axpyColumn(zero, dst, d2 + c, coef, c2, cs, src, sv + c, ss, steps);
            }
            if (rows > 3) {
                axpyColumn(zero, dst, d3 + c, coef, c3, cs, src, sv + c, ss, steps);
            }
        }
    }

    /**
     * The QB rows x {@link #NV} vectors of channels of {@link #axpyRows} (row r's at dst[dr], its coefficients from
     * coef[cr], stepping cs; the source from src[so], stepping ss), in its own method and C2 compilation, as
     * {@link #rowsTimesPackedTile} is (C2's node budget).
     */
    private static void axpyTile(boolean zero, int rows, float[] dst, int d0, int d1, int d2, int d3,
                                 float[] coef, int c0, int c1, int c2, int c3, int cs,
                                 float[] src, int so, int ss, int steps) {
        FloatVector z = FloatVector.zero(SPECIES);
        FloatVector o00 = z, o01 = z, o02 = z, o03 = z, o10 = z, o11 = z, o12 = z, o13 = z;
        FloatVector o20 = z, o21 = z, o22 = z, o23 = z, o30 = z, o31 = z, o32 = z, o33 = z;
        if (!zero) {
            o00 = FloatVector.fromArray(SPECIES, dst, d0);
            o01 = FloatVector.fromArray(SPECIES, dst, d0 + LENGTH);
            o10 = FloatVector.fromArray(SPECIES, dst, d1);
            o11 = FloatVector.fromArray(SPECIES, dst, d1 + LENGTH);
            o20 = FloatVector.fromArray(SPECIES, dst, d2);
            o21 = FloatVector.fromArray(SPECIES, dst, d2 + LENGTH);
            o30 = FloatVector.fromArray(SPECIES, dst, d3);
            o31 = FloatVector.fromArray(SPECIES, dst, d3 + LENGTH);
            if (NV > 2) {
                o02 = FloatVector.fromArray(SPECIES, dst, d0 + 2 * LENGTH);
                o03 = FloatVector.fromArray(SPECIES, dst, d0 + 3 * LENGTH);
                o12 = FloatVector.fromArray(SPECIES, dst, d1 + 2 * LENGTH);
                o13 = FloatVector.fromArray(SPECIES, dst, d1 + 3 * LENGTH);
                o22 = FloatVector.fromArray(SPECIES, dst, d2 + 2 * LENGTH);
                o23 = FloatVector.fromArray(SPECIES, dst, d2 + 3 * LENGTH);
                o32 = FloatVector.fromArray(SPECIES, dst, d3 + 2 * LENGTH);
                o33 = FloatVector.fromArray(SPECIES, dst, d3 + 3 * LENGTH);
            }
        }
        for (int s = 0, v = so, k = 0; s < steps; s++, v += ss, k += cs) {
            FloatVector v0 = FloatVector.fromArray(SPECIES, src, v);
            FloatVector v1 = FloatVector.fromArray(SPECIES, src, v + LENGTH);
            FloatVector v2 = v0, v3 = v0;
            if (NV > 2) {
                v2 = FloatVector.fromArray(SPECIES, src, v + 2 * LENGTH);
                v3 = FloatVector.fromArray(SPECIES, src, v + 3 * LENGTH);
            }
            FloatVector x = FloatVector.broadcast(SPECIES, coef[c0 + k]); // dst_r = fma(coef_r(s), src_s, dst_r)
            o00 = x.fma(v0, o00);
            o01 = x.fma(v1, o01);
            if (NV > 2) {
                o02 = x.fma(v2, o02);
                o03 = x.fma(v3, o03);
            }
            x = FloatVector.broadcast(SPECIES, coef[c1 + k]);
            o10 = x.fma(v0, o10);
            o11 = x.fma(v1, o11);
            if (NV > 2) {
                o12 = x.fma(v2, o12);
                o13 = x.fma(v3, o13);
            }
            x = FloatVector.broadcast(SPECIES, coef[c2 + k]);
            o20 = x.fma(v0, o20);
            o21 = x.fma(v1, o21);
            if (NV > 2) {
                o22 = x.fma(v2, o22);
                o23 = x.fma(v3, o23);
            }
            x = FloatVector.broadcast(SPECIES, coef[c3 + k]);
            o30 = x.fma(v0, o30);
            o31 = x.fma(v1, o31);
            if (NV > 2) {
                o32 = x.fma(v2, o32);
                o33 = x.fma(v3, o33);
            }
        }
        o00.intoArray(dst, d0);
        o01.intoArray(dst, d0 + LENGTH);
        if (NV > 2) {
            o02.intoArray(dst, d0 + 2 * LENGTH);
            o03.intoArray(dst, d0 + 3 * LENGTH);
        }
        if (rows > 1) {
            o10.intoArray(dst, d1);
            o11.intoArray(dst, d1 + LENGTH);
            if (NV > 2) {
                o12.intoArray(dst, d1 + 2 * LENGTH);
                o13.intoArray(dst, d1 + 3 * LENGTH);
            }
        }
        if (rows > 2) {
            o20.intoArray(dst, d2);
            o21.intoArray(dst, d2 + LENGTH);
            if (NV > 2) {
                o22.intoArray(dst, d2 + 2 * LENGTH);
                o23.intoArray(dst, d2 + 3 * LENGTH);
            }
        }
        if (rows > 3) {
            o30.intoArray(dst, d3);
            o31.intoArray(dst, d3 + LENGTH);
            if (NV > 2) {
                o32.intoArray(dst, d3 + 2 * LENGTH);
                o33.intoArray(dst, d3 + 3 * LENGTH);
            }
        }
    }

    /**
     * Two vectors of channels of the QB rows of {@link #axpyRows} (row r's at dst[dr], its coefficients from
     * coef[cr], stepping cs; the source from src[so], stepping ss): the same fma per term in increasing s as the
     * wider tile, with half the accumulators, for heads narrower than {@link #NV} vectors.
     */
    private static void axpyTile2(boolean zero, int rows, float[] dst, int d0, int d1, int d2, int d3,
                                  float[] coef, int c0, int c1, int c2, int c3, int cs,
                                  float[] src, int so, int ss, int steps) {
        FloatVector z = FloatVector.zero(SPECIES);
        FloatVector o00 = z, o01 = z, o10 = z, o11 = z, o20 = z, o21 = z, o30 = z, o31 = z;
        if (!zero) {
            o00 = FloatVector.fromArray(SPECIES, dst, d0);
            o01 = FloatVector.fromArray(SPECIES, dst, d0 + LENGTH);
            o10 = FloatVector.fromArray(SPECIES, dst, d1);
            o11 = FloatVector.fromArray(SPECIES, dst, d1 + LENGTH);
            o20 = FloatVector.fromArray(SPECIES, dst, d2);
            o21 = FloatVector.fromArray(SPECIES, dst, d2 + LENGTH);
            o30 = FloatVector.fromArray(SPECIES, dst, d3);
            o31 = FloatVector.fromArray(SPECIES, dst, d3 + LENGTH);
        }
        for (int s = 0, v = so, k = 0; s < steps; s++, v += ss, k += cs) {
            FloatVector v0 = FloatVector.fromArray(SPECIES, src, v);
            FloatVector v1 = FloatVector.fromArray(SPECIES, src, v + LENGTH);
            FloatVector x = FloatVector.broadcast(SPECIES, coef[c0 + k]); // dst_r = fma(coef_r(s), src_s, dst_r)
            o00 = x.fma(v0, o00);
            o01 = x.fma(v1, o01);
            x = FloatVector.broadcast(SPECIES, coef[c1 + k]);
            o10 = x.fma(v0, o10);
            o11 = x.fma(v1, o11);
            x = FloatVector.broadcast(SPECIES, coef[c2 + k]);
            o20 = x.fma(v0, o20);
            o21 = x.fma(v1, o21);
            x = FloatVector.broadcast(SPECIES, coef[c3 + k]);
            o30 = x.fma(v0, o30);
            o31 = x.fma(v1, o31);
        }
        o00.intoArray(dst, d0);
        o01.intoArray(dst, d0 + LENGTH);
        if (rows > 1) {
            o10.intoArray(dst, d1);
            o11.intoArray(dst, d1 + LENGTH);
        }
        if (rows > 2) {
            o20.intoArray(dst, d2);
            o21.intoArray(dst, d2 + LENGTH);
        }
        if (rows > 3) {
            o30.intoArray(dst, d3);
            o31.intoArray(dst, d3 + LENGTH);
        }
    }

    /** dst[d] = fma(coef[co + s*cs], src[so + s*ss], acc) over s &lt; steps, acc from 0 (zero) or dst[d]. */
    private static void axpyColumn(boolean zero, float[] dst, int d, float[] coef, int co, int cs,
                                   float[] src, int so, int ss, int steps) {
        float acc = zero ? 0f : dst[d];
        for (int s = 0; s < steps; s++) {
            acc = Math.fma(coef[co + s * cs], src[so + s * ss], acc);
        }
        dst[d] = acc;
    }
}
