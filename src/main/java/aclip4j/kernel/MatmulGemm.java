package aclip4j.kernel;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The blocked core behind {@link Matmul}: {@code C (M,N) = init + A (M,K) @ B (K,N)}, A and B read through
 * strides, so that the forward pass ({@code inp @ weight^T}), {@code dinp} ({@code dout @ weight}) and
 * {@code dweight} ({@code dout^T @ inp}) are all this one routine, any transposition of B done while packing.
 *
 * <p>Blocking (GotoBLAS/BLIS): for each block of {@code NCB} columns and {@code KC} reduction steps, B is packed
 * into panels of {@code NR = NV * lanes} columns ({@code [panel][k][NR]}, zero-padded, L2-resident); then the
 * block's output is cut into fixed {@code MC x NC} tiles, one task each, and an {@code MR x NR} micro-kernel keeps
 * {@code MR * NV} vectors of C in registers, each step one broadcast of A times NV loads of B. A is read in place
 * (an MR-row panel of it stays in L1/L2 across the panels of B); only the M tail goes through a padded copy.
 * KC is large (1024) so that each micro-tile of C is loaded and stored once for K up to 1024, not once per 256
 * steps; an A whose k is strided ({@code dweight}'s {@code dout^T}) keeps K blocks of {@link #KC_STRIDED_A}, because
 * 1024 of its cache lines would not stay in L1, and packing it instead costs more where few columns share it. The
 * transposing pack of the forward pass ({@code weight^T}) moves 16 x 16 blocks through registers at 512 bits
 * and 8 x 8 blocks at 256 ({@link #transposeBlocks}). BENCHMARKS.md "Matmul design notes" has
 * the measurements behind each choice.
 *
 * <p>Summation order: every output element starts from its initial value (bias, zero, or the gradient already
 * there) and receives {@code fma(A(i,k), B(k,j), acc)} for k = 0, 1, ..., K-1 in order, one rounding each;
 * between K blocks the accumulator passes through C unchanged. That order depends on neither the tiling, the
 * thread count nor the lane width: the result is bit-identical for any number of threads (and any width).
 * Tiles are fixed by the problem size alone, and a reduction is never split across tasks.
 *
 * <p>The micro-kernel is written once, over {@link Lanes#SPECIES} (a {@code static final}, so C2 compiles every
 * Vector API call into one instruction). Its tile is {@code MR x NV} vectors, chosen by {@link Lanes#REGISTERS}:
 * with 32 vector registers 6 x 4 (24 accumulators plus 4 loads of B and the broadcast, about 30 registers, which
 * AVX-512 provides at every width, its 256- and 128-bit forms reaching all 32, and AArch64 too); with 16 (AVX2, SSE)
 * 4 x 3 (12 accumulators, 3 loads of B, the broadcast). Each tile is its own method ({@link #kernel6x4},
 * {@link #kernel4x3}). Which elements share a tile never changes the order of any element's terms (see above), so
 * both tiles give the same bits.
 */
final class MatmulGemm {
    /**
     * Vectors per micro-kernel row: 4 with 32 registers (AVX-512 at any width, AArch64), 3 with 16
     * ({@link Lanes#REGISTERS}; see the class comment).
     */
    static final int NV = Lanes.REGISTERS >= 32 ? 4 : 3;
    /** Rows of every micro-kernel: 6 for the 6 x 4-vector tile, 4 for the 4 x 3-vector one. */
    static final int MR = NV == 4 ? 6 : 4;
    /** Reduction steps per block: the KC x NR panel of B (256 KB at 512 bits) serves every MR-row panel of a tile. */
    static final int KC = 1024;
    /** Reduction steps per block when A's k is strided (see the class comment). */
    static final int KC_STRIDED_A = 256;
    /** Rows per task tile (a multiple of MR). */
    static final int MC = 96;
    /** Columns per task tile, as a target; rounded down to whole NR panels. */
    static final int NC = 128;
    /** Columns per packed B block, in task tiles: KC x 2 x NC floats = 1 MB. */
    static final int NCB_TILES = 2;

    /** Columns of a micro-kernel tile and of a packed panel of B. */
    static final int NR = NV * Lanes.LENGTH;

    private static final ThreadLocal<float[]> PACKED_B = new ThreadLocal<>();
    private static final ThreadLocal<float[]> EDGE_A = ThreadLocal.withInitial(() -> new float[KC * MR]);
    private static final ThreadLocal<float[]> EDGE_C = new ThreadLocal<>();

    private MatmulGemm() {}

    /** How a matrix operand is read: element (r, c) is {@code data[off + r * rs + c * cs]}. */
    record Operand(float[] data, int off, int rs, int cs) {}

    /**
     * C (M,N), row stride ldc, becomes {@code init + A @ B}: init is C itself when {@code accumulate}, else
     * {@code columnInit[j]} (a bias) or zero when columnInit is null.
     */
    static void gemm(int M, int N, int K, Operand a, Operand b,
                     float[] c, int ldc, float[] columnInit, boolean accumulate) {
        if (M == 0 || N == 0) {
            return;
        }
        final int nr = NR;
        int tileCols = Math.max(nr, NC / nr * nr);
        int blockCols = tileCols * NCB_TILES;
        int mTiles = (M + MC - 1) / MC;
        if (K == 0) {
            if (!accumulate) {
                Parallel.forEach(mTiles, t -> init(c, ldc, t * MC, Math.min(MC, M - t * MC), 0, N, columnInit));
            }
            return;
        }
        int kcMax = a.cs() == 1 ? KC : KC_STRIDED_A;
        float[] bp = buffer(PACKED_B, (long) kcMax * ((Math.min(blockCols, N) + nr - 1) / nr) * nr);
        for (int jc = 0; jc < N; jc += blockCols) {
            int nb = Math.min(blockCols, N - jc);
            int panels = (nb + nr - 1) / nr;
            int nTiles = (nb + tileCols - 1) / tileCols;
            int j0 = jc;
            for (int pc = 0; pc < K; pc += kcMax) {
                int kc = Math.min(kcMax, K - pc);
                int k0 = pc;
                Parallel.forEach(panels, p -> packB(b, k0, kc, N, j0 + p * nr, nr, bp, p * kc * nr));
                boolean first = pc == 0 && !accumulate;
                // Column tile outer: consecutive tasks share one tile's panels of B (512 KB), not the whole block.
                Parallel.forEach(mTiles * nTiles, t -> {
                    int i0 = (t % mTiles) * MC;
                    int jt = (t / mTiles) * tileCols; // within the block
                    int mc = Math.min(MC, M - i0);
                    int nc = Math.min(tileCols, nb - jt);
                    if (first) {
                        init(c, ldc, i0, mc, j0 + jt, nc, columnInit);
                    }
                    tile(nr, kc, a, k0, bp, jt / nr, c, ldc, i0, mc, j0 + jt, nc, N);
                });
            }
        }
    }

    private static void init(float[] c, int ldc, int i0, int mc, int j0, int nc, float[] columnInit) {
        for (int i = i0; i < i0 + mc; i++) {
            if (columnInit == null) {
                Arrays.fill(c, i * ldc + j0, i * ldc + j0 + nc, 0f);
            } else {
                System.arraycopy(columnInit, j0, c, i * ldc + j0, nc);
            }
        }
    }

    /** C[i0:i0+mc, j0:j0+nc] += A[i0:i0+mc, k0:k0+kc] @ B-block panels starting at panel0. */
    private static void tile(int nr, int kc, Operand a, int k0,
                             float[] bp, int panel0, float[] c, int ldc, int i0, int mc, int j0, int nc, int N) {
        float[] ad = a.data();
        int ars = a.rs(), acs = a.cs();
        int fullRows = mc / MR * MR;
        for (int jp = 0; jp * nr < nc; jp++) {
            int j = j0 + jp * nr;
            int cols = Math.min(nr, N - j);
            int bOff = (panel0 + jp) * kc * nr;
            if (cols == nr) {
                for (int ip = 0; ip < fullRows; ip += MR) {
                    int aOff = a.off() + (i0 + ip) * ars + k0 * acs;
                    kernel(kc, ad, aOff, ars, acs, bp, bOff, c, (i0 + ip) * ldc + j, ldc);
                }
            } else {
                for (int ip = 0; ip < fullRows; ip += MR) {
                    int aOff = a.off() + (i0 + ip) * ars + k0 * acs;
                    edge(nr, kc, ad, aOff, ars, acs, MR, bp, bOff, c, (i0 + ip) * ldc + j, ldc, cols);
                }
            }
            if (fullRows < mc) {
                // M tail: copy the last rows into a zero-padded k-major panel so the kernel may read all 6.
                int rows = mc - fullRows;
                float[] pa = EDGE_A.get();
                int src0 = a.off() + (i0 + fullRows) * ars + k0 * acs;
                for (int kk = 0; kk < kc; kk++) {
                    for (int r = 0; r < MR; r++) {
                        pa[kk * MR + r] = r < rows ? ad[src0 + r * ars + kk * acs] : 0f;
                    }
                }
                edge(nr, kc, pa, 0, 1, MR, rows, bp, bOff, c, (i0 + fullRows) * ldc + j, ldc, cols);
            }
        }
    }

    /** A partial tile (rows x cols of MR x nr): the same kernel on a zero-padded copy of C, copied back. */
    private static void edge(int nr, int kc, float[] a, int aOff, int ars,
                             int acs, int rows, float[] bp, int bOff, float[] c, int cOff, int ldc, int cols) {
        float[] t = EDGE_C.get();
        if (t == null || t.length < MR * nr) {
            t = new float[MR * nr];
            EDGE_C.set(t);
        }
        Arrays.fill(t, 0, MR * nr, 0f);
        for (int r = 0; r < rows; r++) {
            System.arraycopy(c, cOff + r * ldc, t, r * nr, cols);
        }
        kernel(kc, a, aOff, ars, acs, bp, bOff, t, 0, nr);
        for (int r = 0; r < rows; r++) {
            System.arraycopy(t, r * nr, c, cOff + r * ldc, cols);
        }
    }

    /**
     * bp[off + kk*nr + jj] = B(k0 + kk, j0 + jj) for kk < kc, zero for columns past N. A transposed B goes through
     * registers in whole blocks where this width has a register transpose ({@link #transposeBlocks}).
     */
    private static void packB(Operand b, int k0, int kc, int N, int j0, int nr, float[] bp, int off) {
        float[] d = b.data();
        int rs = b.rs(), cs = b.cs();
        int cols = Math.min(nr, N - j0);
        int src0 = b.off() + k0 * rs + j0 * cs;
        if (cs == 1) {
            for (int kk = 0, src = src0, dst = off; kk < kc; kk++, src += rs, dst += nr) {
                System.arraycopy(d, src, bp, dst, cols);
                if (cols < nr) {
                    Arrays.fill(bp, dst + cols, dst + nr, 0f);
                }
            }
            return;
        }
        // Transposing read (the forward pass's weight^T). Whole register blocks when k runs contiguously in the
        // source; the rest eight source rows at a time, each walked contiguously, so every step writes eight adjacent
        // floats of the kc x nr panel.
        int kv = 0;
        int tb = TRANSPOSE_BLOCK;
        if (tb > 0 && rs == 1 && cols == nr && nr % tb == 0) {
            kv = kc / tb * tb;
            transposeBlocks(d, src0, cs, nr, kv, bp, off, nr);
            if (kv == kc) {
                return;
            }
        }
        int jj = 0;
        for (; jj + 8 <= cols; jj += 8) {
            int s0 = src0 + jj * cs, s1 = s0 + cs, s2 = s1 + cs, s3 = s2 + cs;
            int s4 = s3 + cs, s5 = s4 + cs, s6 = s5 + cs, s7 = s6 + cs;
            for (int kk = kv, dst = off + jj + kv * nr, k = kv * rs; kk < kc; kk++, dst += nr, k += rs) {
                bp[dst] = d[s0 + k];
                bp[dst + 1] = d[s1 + k];
                bp[dst + 2] = d[s2 + k];
                bp[dst + 3] = d[s3 + k];
                bp[dst + 4] = d[s4 + k];
                bp[dst + 5] = d[s5 + k];
                bp[dst + 6] = d[s6 + k];
                bp[dst + 7] = d[s7 + k];
            }
        }
        for (; jj < nr; jj++) {
            if (jj < cols) {
                for (int kk = kv, src = src0 + jj * cs + kv * rs, dst = off + jj + kv * nr; kk < kc;
                     kk++, src += rs, dst += nr) {
                    bp[dst] = d[src];
                }
            } else {
                for (int kk = kv, dst = off + jj + kv * nr; kk < kc; kk++, dst += nr) {
                    bp[dst] = 0f;
                }
            }
        }
    }

    // ---- 16 x 16 transpose in registers: four butterfly stages. Stage B (= 8, 4, 2, 1) pairs rows j and j + B
    //      and swaps bit B of the row number with bit B of the lane number: row j keeps its lanes with that bit
    //      clear and takes row j + B's lanes l - B where it is set; row j + B takes row j's lanes l + B where the bit
    //      is clear and keeps its own where it is set. One permute and one blend per output vector (a two-vector
    //      rearrange would say it shorter, but JDK 17 runs that one in Java, thousands of times slower).

    private static final VectorSpecies<Float> S512 = FloatVector.SPECIES_512;
    private static final VectorShuffle<Float> UP1 = shift(1, true, S512), UP2 = shift(2, true, S512),
            UP4 = shift(4, true, S512), UP8 = shift(8, true, S512), DOWN1 = shift(1, false, S512),
            DOWN2 = shift(2, false, S512), DOWN4 = shift(4, false, S512), DOWN8 = shift(8, false, S512);
    private static final VectorMask<Float> BIT1 = bit(1, S512), BIT2 = bit(2, S512), BIT4 = bit(4, S512),
            BIT8 = bit(8, S512);

    /**
     * Over the lanes of {@code s}: up, lanes with bit {@code b} set read lane l - b; down, lanes with it clear read
     * lane l + b; others stay.
     */
    private static VectorShuffle<Float> shift(int b, boolean up, VectorSpecies<Float> s) {
        int[] from = new int[s.length()];
        for (int l = 0; l < from.length; l++) {
            boolean set = (l & b) != 0;
            from[l] = up ? (set ? l - b : l) : (set ? l : l + b);
        }
        return VectorShuffle.fromArray(s, from, 0);
    }

    /** The lanes of {@code s} whose number has bit {@code b} set. */
    private static VectorMask<Float> bit(int b, VectorSpecies<Float> s) {
        boolean[] set = new boolean[s.length()];
        for (int l = 0; l < set.length; l++) {
            set[l] = (l & b) != 0;
        }
        return VectorMask.fromArray(s, set, 0);
    }

    /** The side of the blocks {@link #transposeBlocks} moves through registers: 16 at 512 bits, 8 at 256, else 0. */
    static final int TRANSPOSE_BLOCK = Lanes.BITS == 512 ? 16 : Lanes.BITS == 256 ? 8 : 0;

    /**
     * dst[off + k*ld + j] = d[src + j*cs + k] for j &lt; n, k &lt; m, both multiples of {@link #TRANSPOSE_BLOCK}
     * (which must not be 0): whole blocks through registers ({@link #transpose16}, {@link #transpose8}), j blocks
     * outer. The transposing packs of B here and of attention's operands.
     */
    static void transposeBlocks(float[] d, int src, int cs, int n, int m, float[] dst, int off, int ld) {
        final int tb = TRANSPOSE_BLOCK;
        for (int j = 0; j < n; j += tb) {
            for (int k = 0; k < m; k += tb) {
                if (tb == 16) {
                    transpose16(d, src + j * cs + k, cs, dst, off + k * ld + j, ld);
                } else {
                    transpose8(d, src + j * cs + k, cs, dst, off + k * ld + j, ld);
                }
            }
        }
    }

    // ---- 8 x 8 transpose at 256 bits: the same butterfly in three stages (B = 4, 2, 1).

    private static final VectorSpecies<Float> S256 = FloatVector.SPECIES_256;
    private static final VectorShuffle<Float> UP1_8 = shift(1, true, S256), UP2_8 = shift(2, true, S256),
            UP4_8 = shift(4, true, S256), DOWN1_8 = shift(1, false, S256), DOWN2_8 = shift(2, false, S256),
            DOWN4_8 = shift(4, false, S256);
    private static final VectorMask<Float> BIT1_8 = bit(1, S256), BIT2_8 = bit(2, S256), BIT4_8 = bit(4, S256);

    /** bp[dst + kk*nr + j] = d[src + j*cs + kk] for j, kk &lt; 8, through 256-bit registers. */
    static void transpose8(float[] d, int src, int cs, float[] bp, int dst, int nr) {
        final VectorSpecies<Float> S = FloatVector.SPECIES_256;
        FloatVector r0 = FloatVector.fromArray(S, d, src), r1 = FloatVector.fromArray(S, d, src + cs),
                r2 = FloatVector.fromArray(S, d, src + 2 * cs), r3 = FloatVector.fromArray(S, d, src + 3 * cs),
                r4 = FloatVector.fromArray(S, d, src + 4 * cs), r5 = FloatVector.fromArray(S, d, src + 5 * cs),
                r6 = FloatVector.fromArray(S, d, src + 6 * cs), r7 = FloatVector.fromArray(S, d, src + 7 * cs);
        FloatVector t;
        t = r0.blend(r4.rearrange(UP4_8), BIT4_8); r4 = r0.rearrange(DOWN4_8).blend(r4, BIT4_8); r0 = t;
        t = r1.blend(r5.rearrange(UP4_8), BIT4_8); r5 = r1.rearrange(DOWN4_8).blend(r5, BIT4_8); r1 = t;
        t = r2.blend(r6.rearrange(UP4_8), BIT4_8); r6 = r2.rearrange(DOWN4_8).blend(r6, BIT4_8); r2 = t;
        t = r3.blend(r7.rearrange(UP4_8), BIT4_8); r7 = r3.rearrange(DOWN4_8).blend(r7, BIT4_8); r3 = t;
        t = r0.blend(r2.rearrange(UP2_8), BIT2_8); r2 = r0.rearrange(DOWN2_8).blend(r2, BIT2_8); r0 = t;
        t = r1.blend(r3.rearrange(UP2_8), BIT2_8); r3 = r1.rearrange(DOWN2_8).blend(r3, BIT2_8); r1 = t;
        t = r4.blend(r6.rearrange(UP2_8), BIT2_8); r6 = r4.rearrange(DOWN2_8).blend(r6, BIT2_8); r4 = t;
        t = r5.blend(r7.rearrange(UP2_8), BIT2_8); r7 = r5.rearrange(DOWN2_8).blend(r7, BIT2_8); r5 = t;
        t = r0.blend(r1.rearrange(UP1_8), BIT1_8); r1 = r0.rearrange(DOWN1_8).blend(r1, BIT1_8); r0 = t;
        t = r2.blend(r3.rearrange(UP1_8), BIT1_8); r3 = r2.rearrange(DOWN1_8).blend(r3, BIT1_8); r2 = t;
        t = r4.blend(r5.rearrange(UP1_8), BIT1_8); r5 = r4.rearrange(DOWN1_8).blend(r5, BIT1_8); r4 = t;
        t = r6.blend(r7.rearrange(UP1_8), BIT1_8); r7 = r6.rearrange(DOWN1_8).blend(r7, BIT1_8); r6 = t;
        r0.intoArray(bp, dst);
        r1.intoArray(bp, dst + nr);
        r2.intoArray(bp, dst + 2 * nr);
        r3.intoArray(bp, dst + 3 * nr);
        r4.intoArray(bp, dst + 4 * nr);
        r5.intoArray(bp, dst + 5 * nr);
        r6.intoArray(bp, dst + 6 * nr);
        r7.intoArray(bp, dst + 7 * nr);
    }

    /** bp[dst + kk*nr + j] = d[src + j*cs + kk] for j, kk < 16. */
    static void transpose16(float[] d, int src, int cs, float[] bp, int dst, int nr) {
        final VectorSpecies<Float> S = FloatVector.SPECIES_512;
        FloatVector r0 = FloatVector.fromArray(S, d, src), r1 = FloatVector.fromArray(S, d, src + cs),
                r2 = FloatVector.fromArray(S, d, src + 2 * cs), r3 = FloatVector.fromArray(S, d, src + 3 * cs),
                r4 = FloatVector.fromArray(S, d, src + 4 * cs), r5 = FloatVector.fromArray(S, d, src + 5 * cs),
                r6 = FloatVector.fromArray(S, d, src + 6 * cs), r7 = FloatVector.fromArray(S, d, src + 7 * cs),
                r8 = FloatVector.fromArray(S, d, src + 8 * cs), r9 = FloatVector.fromArray(S, d, src + 9 * cs),
                r10 = FloatVector.fromArray(S, d, src + 10 * cs), r11 = FloatVector.fromArray(S, d, src + 11 * cs),
                r12 = FloatVector.fromArray(S, d, src + 12 * cs), r13 = FloatVector.fromArray(S, d, src + 13 * cs),
                r14 = FloatVector.fromArray(S, d, src + 14 * cs), r15 = FloatVector.fromArray(S, d, src + 15 * cs);
        FloatVector t;
        t = r0.blend(r8.rearrange(UP8), BIT8); r8 = r0.rearrange(DOWN8).blend(r8, BIT8); r0 = t;
        t = r1.blend(r9.rearrange(UP8), BIT8); r9 = r1.rearrange(DOWN8).blend(r9, BIT8); r1 = t;
        t = r2.blend(r10.rearrange(UP8), BIT8); r10 = r2.rearrange(DOWN8).blend(r10, BIT8); r2 = t;
        t = r3.blend(r11.rearrange(UP8), BIT8); r11 = r3.rearrange(DOWN8).blend(r11, BIT8); r3 = t;
        t = r4.blend(r12.rearrange(UP8), BIT8); r12 = r4.rearrange(DOWN8).blend(r12, BIT8); r4 = t;
        t = r5.blend(r13.rearrange(UP8), BIT8); r13 = r5.rearrange(DOWN8).blend(r13, BIT8); r5 = t;
        t = r6.blend(r14.rearrange(UP8), BIT8); r14 = r6.rearrange(DOWN8).blend(r14, BIT8); r6 = t;
        t = r7.blend(r15.rearrange(UP8), BIT8); r15 = r7.rearrange(DOWN8).blend(r15, BIT8); r7 = t;
        t = r0.blend(r4.rearrange(UP4), BIT4); r4 = r0.rearrange(DOWN4).blend(r4, BIT4); r0 = t;
        t = r1.blend(r5.rearrange(UP4), BIT4); r5 = r1.rearrange(DOWN4).blend(r5, BIT4); r1 = t;
        t = r2.blend(r6.rearrange(UP4), BIT4); r6 = r2.rearrange(DOWN4).blend(r6, BIT4); r2 = t;
        t = r3.blend(r7.rearrange(UP4), BIT4); r7 = r3.rearrange(DOWN4).blend(r7, BIT4); r3 = t;
        t = r8.blend(r12.rearrange(UP4), BIT4); r12 = r8.rearrange(DOWN4).blend(r12, BIT4); r8 = t;
        t = r9.blend(r13.rearrange(UP4), BIT4); r13 = r9.rearrange(DOWN4).blend(r13, BIT4); r9 = t;
        t = r10.blend(r14.rearrange(UP4), BIT4); r14 = r10.rearrange(DOWN4).blend(r14, BIT4); r10 = t;
        t = r11.blend(r15.rearrange(UP4), BIT4); r15 = r11.rearrange(DOWN4).blend(r15, BIT4); r11 = t;
        t = r0.blend(r2.rearrange(UP2), BIT2); r2 = r0.rearrange(DOWN2).blend(r2, BIT2); r0 = t;
        t = r1.blend(r3.rearrange(UP2), BIT2); r3 = r1.rearrange(DOWN2).blend(r3, BIT2); r1 = t;
        t = r4.blend(r6.rearrange(UP2), BIT2); r6 = r4.rearrange(DOWN2).blend(r6, BIT2); r4 = t;
        t = r5.blend(r7.rearrange(UP2), BIT2); r7 = r5.rearrange(DOWN2).blend(r7, BIT2); r5 = t;
        t = r8.blend(r10.rearrange(UP2), BIT2); r10 = r8.rearrange(DOWN2).blend(r10, BIT2); r8 = t;
        t = r9.blend(r11.rearrange(UP2), BIT2); r11 = r9.rearrange(DOWN2).blend(r11, BIT2); r9 = t;
        t = r12.blend(r14.rearrange(UP2), BIT2); r14 = r12.rearrange(DOWN2).blend(r14, BIT2); r12 = t;
        t = r13.blend(r15.rearrange(UP2), BIT2); r15 = r13.rearrange(DOWN2).blend(r15, BIT2); r13 = t;
        t = r0.blend(r1.rearrange(UP1), BIT1); r1 = r0.rearrange(DOWN1).blend(r1, BIT1); r0 = t;
        t = r2.blend(r3.rearrange(UP1), BIT1); r3 = r2.rearrange(DOWN1).blend(r3, BIT1); r2 = t;
        t = r4.blend(r5.rearrange(UP1), BIT1); r5 = r4.rearrange(DOWN1).blend(r5, BIT1); r4 = t;
        t = r6.blend(r7.rearrange(UP1), BIT1); r7 = r6.rearrange(DOWN1).blend(r7, BIT1); r6 = t;
        t = r8.blend(r9.rearrange(UP1), BIT1); r9 = r8.rearrange(DOWN1).blend(r9, BIT1); r8 = t;
        t = r10.blend(r11.rearrange(UP1), BIT1); r11 = r10.rearrange(DOWN1).blend(r11, BIT1); r10 = t;
        t = r12.blend(r13.rearrange(UP1), BIT1); r13 = r12.rearrange(DOWN1).blend(r13, BIT1); r12 = t;
        t = r14.blend(r15.rearrange(UP1), BIT1); r15 = r14.rearrange(DOWN1).blend(r15, BIT1); r14 = t;
        r0.intoArray(bp, dst);
        r1.intoArray(bp, dst + 1 * nr);
        r2.intoArray(bp, dst + 2 * nr);
        r3.intoArray(bp, dst + 3 * nr);
        r4.intoArray(bp, dst + 4 * nr);
        r5.intoArray(bp, dst + 5 * nr);
        r6.intoArray(bp, dst + 6 * nr);
        r7.intoArray(bp, dst + 7 * nr);
        r8.intoArray(bp, dst + 8 * nr);
        r9.intoArray(bp, dst + 9 * nr);
        r10.intoArray(bp, dst + 10 * nr);
        r11.intoArray(bp, dst + 11 * nr);
        r12.intoArray(bp, dst + 12 * nr);
        r13.intoArray(bp, dst + 13 * nr);
        r14.intoArray(bp, dst + 14 * nr);
        r15.intoArray(bp, dst + 15 * nr);
    }

    private static float[] buffer(ThreadLocal<float[]> cache, long size) {
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("packed buffer of " + size + " floats exceeds a Java array");
        }
        float[] buf = cache.get();
        if (buf == null || buf.length < size) {
            buf = new float[(int) Math.max(size, 1)];
            cache.set(buf);
        }
        return buf;
    }

    // ---- the micro-kernel: C[MR x NR] += A(MR rows, kc steps; element (r,k) at a[aOff + r*ars + k*acs])
    //      times the packed B panel (kc x NR, k-major at bp[bOff]).

    /** MR x NV vectors of C in registers; each k step one broadcast of A per row times NV loads of B. */
    private static void kernel(int kc, float[] a, int aOff, int ars, int acs,
                               float[] bp, int bOff, float[] c, int cOff, int ldc) {
        if (NV == 4) {
            kernel6x4(kc, a, aOff, ars, acs, bp, bOff, c, cOff, ldc);
        } else {
            kernel4x3(kc, a, aOff, ars, acs, bp, bOff, c, cOff, ldc);
        }
    }

    /** The 6 x 4-vector tile of 32 registers: 24 accumulators, 4 loads of B and a broadcast. */
    private static void kernel6x4(int kc, float[] a, int aOff, int ars, int acs,
                                  float[] bp, int bOff, float[] c, int cOff, int ldc) {
        final VectorSpecies<Float> S = Lanes.SPECIES;
        final int l = Lanes.LENGTH;
        final int nr = NR;
        final int a1 = 1 * ars, a2 = 2 * ars, a3 = 3 * ars, a4 = 4 * ars, a5 = 5 * ars;
        final int o0 = cOff, o1 = cOff + 1 * ldc, o2 = cOff + 2 * ldc, o3 = cOff + 3 * ldc, o4 = cOff + 4 * ldc,
                o5 = cOff + 5 * ldc;
        FloatVector c00 = FloatVector.fromArray(S, c, o0), c01 = FloatVector.fromArray(S, c, o0 + l);
        FloatVector c02 = FloatVector.fromArray(S, c, o0 + 2 * l), c03 = FloatVector.fromArray(S, c, o0 + 3 * l);
        FloatVector c10 = FloatVector.fromArray(S, c, o1), c11 = FloatVector.fromArray(S, c, o1 + l);
        FloatVector c12 = FloatVector.fromArray(S, c, o1 + 2 * l), c13 = FloatVector.fromArray(S, c, o1 + 3 * l);
        FloatVector c20 = FloatVector.fromArray(S, c, o2), c21 = FloatVector.fromArray(S, c, o2 + l);
        FloatVector c22 = FloatVector.fromArray(S, c, o2 + 2 * l), c23 = FloatVector.fromArray(S, c, o2 + 3 * l);
        FloatVector c30 = FloatVector.fromArray(S, c, o3), c31 = FloatVector.fromArray(S, c, o3 + l);
        FloatVector c32 = FloatVector.fromArray(S, c, o3 + 2 * l), c33 = FloatVector.fromArray(S, c, o3 + 3 * l);
        FloatVector c40 = FloatVector.fromArray(S, c, o4), c41 = FloatVector.fromArray(S, c, o4 + l);
        FloatVector c42 = FloatVector.fromArray(S, c, o4 + 2 * l), c43 = FloatVector.fromArray(S, c, o4 + 3 * l);
        FloatVector c50 = FloatVector.fromArray(S, c, o5), c51 = FloatVector.fromArray(S, c, o5 + l);
        FloatVector c52 = FloatVector.fromArray(S, c, o5 + 2 * l), c53 = FloatVector.fromArray(S, c, o5 + 3 * l);
        for (int k = 0, ai = aOff, bi = bOff; k < kc; k++, ai += acs, bi += nr) {
            // c[r][j] = fma(A(r, k), B(k, j), c[r][j])
            FloatVector b0 = FloatVector.fromArray(S, bp, bi), b1 = FloatVector.fromArray(S, bp, bi + l);
            FloatVector b2 = FloatVector.fromArray(S, bp, bi + 2 * l), b3 = FloatVector.fromArray(S, bp, bi + 3 * l);
            FloatVector x = FloatVector.broadcast(S, a[ai]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02); c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(S, a[ai + a1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12); c13 = x.fma(b3, c13);
            x = FloatVector.broadcast(S, a[ai + a2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22); c23 = x.fma(b3, c23);
            x = FloatVector.broadcast(S, a[ai + a3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32); c33 = x.fma(b3, c33);
            x = FloatVector.broadcast(S, a[ai + a4]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41); c42 = x.fma(b2, c42); c43 = x.fma(b3, c43);
            x = FloatVector.broadcast(S, a[ai + a5]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51); c52 = x.fma(b2, c52); c53 = x.fma(b3, c53);
        }
        c00.intoArray(c, o0); c01.intoArray(c, o0 + l); c02.intoArray(c, o0 + 2 * l); c03.intoArray(c, o0 + 3 * l);
        c10.intoArray(c, o1); c11.intoArray(c, o1 + l); c12.intoArray(c, o1 + 2 * l); c13.intoArray(c, o1 + 3 * l);
        c20.intoArray(c, o2); c21.intoArray(c, o2 + l); c22.intoArray(c, o2 + 2 * l); c23.intoArray(c, o2 + 3 * l);
        c30.intoArray(c, o3); c31.intoArray(c, o3 + l); c32.intoArray(c, o3 + 2 * l); c33.intoArray(c, o3 + 3 * l);
        c40.intoArray(c, o4); c41.intoArray(c, o4 + l); c42.intoArray(c, o4 + 2 * l); c43.intoArray(c, o4 + 3 * l);
        c50.intoArray(c, o5); c51.intoArray(c, o5 + l); c52.intoArray(c, o5 + 2 * l); c53.intoArray(c, o5 + 3 * l);
    }

    /**
     * The 4 x 3-vector tile of 16 registers (AVX2, SSE): 12 accumulators, 3 loads of B and a broadcast. Per k step
     * 7 loads and 4 range-checked reads of A for 12 FMAs, where the 6 x 2 tile it replaced needed 8 and 6: on a
     * Zen 3 core the forward matmul went from 38–39 % to 46–56 % of the FMA ceiling (BENCHMARKS.md, AVX2 section).
     */
    private static void kernel4x3(int kc, float[] a, int aOff, int ars, int acs,
                                  float[] bp, int bOff, float[] c, int cOff, int ldc) {
        final VectorSpecies<Float> S = Lanes.SPECIES;
        final int l = Lanes.LENGTH;
        final int nr = NR;
        final int a1 = ars, a2 = 2 * ars, a3 = 3 * ars;
        final int o0 = cOff, o1 = cOff + ldc, o2 = cOff + 2 * ldc, o3 = cOff + 3 * ldc;
        FloatVector c00 = FloatVector.fromArray(S, c, o0), c01 = FloatVector.fromArray(S, c, o0 + l),
                c02 = FloatVector.fromArray(S, c, o0 + 2 * l);
        FloatVector c10 = FloatVector.fromArray(S, c, o1), c11 = FloatVector.fromArray(S, c, o1 + l),
                c12 = FloatVector.fromArray(S, c, o1 + 2 * l);
        FloatVector c20 = FloatVector.fromArray(S, c, o2), c21 = FloatVector.fromArray(S, c, o2 + l),
                c22 = FloatVector.fromArray(S, c, o2 + 2 * l);
        FloatVector c30 = FloatVector.fromArray(S, c, o3), c31 = FloatVector.fromArray(S, c, o3 + l),
                c32 = FloatVector.fromArray(S, c, o3 + 2 * l);
        for (int k = 0, ai = aOff, bi = bOff; k < kc; k++, ai += acs, bi += nr) {
            // c[r][j] = fma(A(r, k), B(k, j), c[r][j])
            FloatVector b0 = FloatVector.fromArray(S, bp, bi), b1 = FloatVector.fromArray(S, bp, bi + l),
                    b2 = FloatVector.fromArray(S, bp, bi + 2 * l);
            FloatVector x = FloatVector.broadcast(S, a[ai]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02);
            x = FloatVector.broadcast(S, a[ai + a1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12);
            x = FloatVector.broadcast(S, a[ai + a2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22);
            x = FloatVector.broadcast(S, a[ai + a3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32);
        }
        c00.intoArray(c, o0); c01.intoArray(c, o0 + l); c02.intoArray(c, o0 + 2 * l);
        c10.intoArray(c, o1); c11.intoArray(c, o1 + l); c12.intoArray(c, o1 + 2 * l);
        c20.intoArray(c, o2); c21.intoArray(c, o2 + l); c22.intoArray(c, o2 + 2 * l);
        c30.intoArray(c, o3); c31.intoArray(c, o3 + l); c32.intoArray(c, o3 + 2 * l);
    }
}
