package aclip4j.kernel;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The blocked core behind {@link Matmul}: {@code C (M,N) = init + A (M,K) @ B (K,N)}, A and B read through
 * strides, so that the forward pass ({@code inp @ weight^T}), {@code dinp} ({@code dout @ weight}) and
 * {@code dweight} ({@code dout^T @ inp}) are all this one routine, any transposition of B done while packing.
 *
 * <p>Blocking (GotoBLAS/BLIS): for each block of {@code NCB} columns and {@code KC} reduction steps, B is packed
 * into panels of {@code NR = NV * lanes} columns ({@code [panel][k][NR]}, zero-padded, L2-resident); then the
 * block's output is cut into fixed {@code MC x NC} tiles, one task each, and a {@code 6 x NR} micro-kernel keeps
 * {@code 6 * NV} vectors of C in registers, each step one broadcast of A times NV loads of B. A is read in place
 * (a 6-row panel of it stays in L1/L2 across the panels of B); only the M tail goes through a padded copy.
 *
 * <p>Summation order: every output element starts from its initial value (bias, zero, or the gradient already
 * there) and receives {@code fma(A(i,k), B(k,j), acc)} for k = 0, 1, ..., K-1 in order, one rounding each;
 * between K blocks the accumulator passes through C unchanged. That order depends on neither the tiling, the
 * thread count nor the lane width: the result is bit-identical for any number of threads (and any width).
 * Tiles are fixed by the problem size alone, and a reduction is never split across tasks.
 *
 * <p>The micro-kernel exists once per vector width because C2 only compiles Vector API calls into single
 * instructions when the species is a compile-time constant; with a species passed as an argument every vector
 * is a heap object and the kernel runs 20x slower ({@link #kernelAny} is that case, for rare widths).
 */
final class MatmulGemm {
    /** Rows of every micro-kernel. */
    static final int MR = 6;
    /** Reduction steps per block: the KC x NR panel of B is reused by every 6-row panel of a tile from L1/L2. */
    static final int KC = 256;
    /** Rows per task tile (a multiple of MR). */
    static final int MC = 96;
    /** Columns per task tile, as a target; rounded down to whole NR panels. */
    static final int NC = 256;
    /** Columns per packed B block, in task tiles: KC x 2 x NC floats = 512 KB, L2-sized. */
    static final int NCB_TILES = 2;

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
    static void gemm(VectorSpecies<Float> species, int M, int N, int K, Operand a, Operand b,
                     float[] c, int ldc, float[] columnInit, boolean accumulate) {
        if (M == 0 || N == 0) {
            return;
        }
        int width = species.vectorBitSize();
        int nr = (width == 512 ? 4 : 2) * species.length();
        int tileCols = Math.max(nr, NC / nr * nr);
        int blockCols = tileCols * NCB_TILES;
        int mTiles = (M + MC - 1) / MC;
        if (K == 0) {
            if (!accumulate) {
                Parallel.forEach(mTiles, t -> init(c, ldc, t * MC, Math.min(MC, M - t * MC), 0, N, columnInit));
            }
            return;
        }
        float[] bp = buffer(PACKED_B, (long) KC * ((Math.min(blockCols, N) + nr - 1) / nr) * nr);
        for (int jc = 0; jc < N; jc += blockCols) {
            int nb = Math.min(blockCols, N - jc);
            int panels = (nb + nr - 1) / nr;
            int nTiles = (nb + tileCols - 1) / tileCols;
            int j0 = jc;
            for (int pc = 0; pc < K; pc += KC) {
                int kc = Math.min(KC, K - pc);
                int k0 = pc;
                Parallel.forEach(panels, p -> packB(b, k0, kc, N, j0 + p * nr, nr, bp, p * kc * nr));
                boolean first = pc == 0 && !accumulate;
                Parallel.forEach(mTiles * nTiles, t -> {
                    int i0 = (t / nTiles) * MC;
                    int jt = (t % nTiles) * tileCols; // within the block
                    int mc = Math.min(MC, M - i0);
                    int nc = Math.min(tileCols, nb - jt);
                    if (first) {
                        init(c, ldc, i0, mc, j0 + jt, nc, columnInit);
                    }
                    tile(width, species, nr, kc, a, k0, bp, jt / nr, c, ldc, i0, mc, j0 + jt, nc, N);
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
    private static void tile(int width, VectorSpecies<Float> species, int nr, int kc, Operand a, int k0,
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
                    kernel(width, species, kc, ad, aOff, ars, acs, bp, bOff, c, (i0 + ip) * ldc + j, ldc);
                }
            } else {
                for (int ip = 0; ip < fullRows; ip += MR) {
                    int aOff = a.off() + (i0 + ip) * ars + k0 * acs;
                    edge(width, species, nr, kc, ad, aOff, ars, acs, MR, bp, bOff, c, (i0 + ip) * ldc + j, ldc, cols);
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
                edge(width, species, nr, kc, pa, 0, 1, MR, rows, bp, bOff, c, (i0 + fullRows) * ldc + j, ldc, cols);
            }
        }
    }

    /** A partial tile (rows x cols of MR x nr): the same kernel on a zero-padded copy of C, copied back. */
    private static void edge(int width, VectorSpecies<Float> species, int nr, int kc, float[] a, int aOff, int ars,
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
        kernel(width, species, kc, a, aOff, ars, acs, bp, bOff, t, 0, nr);
        for (int r = 0; r < rows; r++) {
            System.arraycopy(t, r * nr, c, cOff + r * ldc, cols);
        }
    }

    private static void kernel(int width, VectorSpecies<Float> species, int kc, float[] a, int aOff, int ars,
                               int acs, float[] bp, int bOff, float[] c, int cOff, int ldc) {
        switch (width) {
            case 512: kernel512(kc, a, aOff, ars, acs, bp, bOff, c, cOff, ldc); break;
            case 256: kernel256(kc, a, aOff, ars, acs, bp, bOff, c, cOff, ldc); break;
            case 128: kernel128(kc, a, aOff, ars, acs, bp, bOff, c, cOff, ldc); break;
            default: kernelAny(species, kc, a, aOff, ars, acs, bp, bOff, c, cOff, ldc); break;
        }
    }

    /** bp[off + kk*nr + jj] = B(k0 + kk, j0 + jj) for kk < kc, zero for columns past N. */
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
        // Transposing read (the forward pass's weight^T): eight source rows at a time, each walked contiguously,
        // so every step writes eight adjacent floats of the kc x nr panel (which stays in L1).
        int jj = 0;
        for (; jj + 8 <= cols; jj += 8) {
            int s0 = src0 + jj * cs, s1 = s0 + cs, s2 = s1 + cs, s3 = s2 + cs;
            int s4 = s3 + cs, s5 = s4 + cs, s6 = s5 + cs, s7 = s6 + cs;
            for (int kk = 0, dst = off + jj, k = 0; kk < kc; kk++, dst += nr, k += rs) {
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
                for (int kk = 0, src = src0 + jj * cs, dst = off + jj; kk < kc; kk++, src += rs, dst += nr) {
                    bp[dst] = d[src];
                }
            } else {
                for (int kk = 0, dst = off + jj; kk < kc; kk++, dst += nr) {
                    bp[dst] = 0f;
                }
            }
        }
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

    // ---- micro-kernels: C[6 x NR] += A(6 rows, kc steps; element (r,k) at a[aOff + r*ars + k*acs])
    //      times the packed B panel (kc x NR, k-major at bp[bOff]). One text per width, see the class comment.

    /** 6 x 64 tile, 24 zmm accumulators: AVX-512 has 32 registers. */
    private static void kernel512(int kc, float[] a, int aOff, int ars, int acs,
                                  float[] bp, int bOff, float[] c, int cOff, int ldc) {
        final VectorSpecies<Float> S = FloatVector.SPECIES_512;
        final int l = S.length();
        final int nr = 4 * l;
        final int a1 = 1 * ars, a2 = 2 * ars, a3 = 3 * ars, a4 = 4 * ars, a5 = 5 * ars;
        final int o0 = cOff, o1 = cOff + 1 * ldc, o2 = cOff + 2 * ldc, o3 = cOff + 3 * ldc, o4 = cOff + 4 * ldc,
                o5 = cOff + 5 * ldc;
        FloatVector c00 = FloatVector.fromArray(S, c, o0), c01 = FloatVector.fromArray(S, c, o0 + 1 * l),
                c02 = FloatVector.fromArray(S, c, o0 + 2 * l), c03 = FloatVector.fromArray(S, c, o0 + 3 * l);
        FloatVector c10 = FloatVector.fromArray(S, c, o1), c11 = FloatVector.fromArray(S, c, o1 + 1 * l),
                c12 = FloatVector.fromArray(S, c, o1 + 2 * l), c13 = FloatVector.fromArray(S, c, o1 + 3 * l);
        FloatVector c20 = FloatVector.fromArray(S, c, o2), c21 = FloatVector.fromArray(S, c, o2 + 1 * l),
                c22 = FloatVector.fromArray(S, c, o2 + 2 * l), c23 = FloatVector.fromArray(S, c, o2 + 3 * l);
        FloatVector c30 = FloatVector.fromArray(S, c, o3), c31 = FloatVector.fromArray(S, c, o3 + 1 * l),
                c32 = FloatVector.fromArray(S, c, o3 + 2 * l), c33 = FloatVector.fromArray(S, c, o3 + 3 * l);
        FloatVector c40 = FloatVector.fromArray(S, c, o4), c41 = FloatVector.fromArray(S, c, o4 + 1 * l),
                c42 = FloatVector.fromArray(S, c, o4 + 2 * l), c43 = FloatVector.fromArray(S, c, o4 + 3 * l);
        FloatVector c50 = FloatVector.fromArray(S, c, o5), c51 = FloatVector.fromArray(S, c, o5 + 1 * l),
                c52 = FloatVector.fromArray(S, c, o5 + 2 * l), c53 = FloatVector.fromArray(S, c, o5 + 3 * l);
        for (int k = 0, ai = aOff, bi = bOff; k < kc; k++, ai += acs, bi += nr) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi), b1 = FloatVector.fromArray(S, bp, bi + 1 * l),
                    b2 = FloatVector.fromArray(S, bp, bi + 2 * l), b3 = FloatVector.fromArray(S, bp, bi + 3 * l);
            FloatVector x = FloatVector.broadcast(S, a[ai]);  // c[r][j] = fma(A(r, k), B(k, j), c[r][j])
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
        c00.intoArray(c, o0); c01.intoArray(c, o0 + 1 * l); c02.intoArray(c, o0 + 2 * l); c03.intoArray(c, o0 + 3 * l);
        c10.intoArray(c, o1); c11.intoArray(c, o1 + 1 * l); c12.intoArray(c, o1 + 2 * l); c13.intoArray(c, o1 + 3 * l);
        c20.intoArray(c, o2); c21.intoArray(c, o2 + 1 * l); c22.intoArray(c, o2 + 2 * l); c23.intoArray(c, o2 + 3 * l);
        c30.intoArray(c, o3); c31.intoArray(c, o3 + 1 * l); c32.intoArray(c, o3 + 2 * l); c33.intoArray(c, o3 + 3 * l);
        c40.intoArray(c, o4); c41.intoArray(c, o4 + 1 * l); c42.intoArray(c, o4 + 2 * l); c43.intoArray(c, o4 + 3 * l);
        c50.intoArray(c, o5); c51.intoArray(c, o5 + 1 * l); c52.intoArray(c, o5 + 2 * l); c53.intoArray(c, o5 + 3 * l);
    }

    /** 6 x 16 tile, 12 accumulators: fits AVX2's 16 ymm registers. */
    private static void kernel256(int kc, float[] a, int aOff, int ars, int acs,
                                  float[] bp, int bOff, float[] c, int cOff, int ldc) {
        final VectorSpecies<Float> S = FloatVector.SPECIES_256;
        final int l = S.length();
        final int nr = 2 * l;
        final int a1 = 1 * ars, a2 = 2 * ars, a3 = 3 * ars, a4 = 4 * ars, a5 = 5 * ars;
        final int o0 = cOff, o1 = cOff + 1 * ldc, o2 = cOff + 2 * ldc, o3 = cOff + 3 * ldc, o4 = cOff + 4 * ldc,
                o5 = cOff + 5 * ldc;
        FloatVector c00 = FloatVector.fromArray(S, c, o0), c01 = FloatVector.fromArray(S, c, o0 + 1 * l);
        FloatVector c10 = FloatVector.fromArray(S, c, o1), c11 = FloatVector.fromArray(S, c, o1 + 1 * l);
        FloatVector c20 = FloatVector.fromArray(S, c, o2), c21 = FloatVector.fromArray(S, c, o2 + 1 * l);
        FloatVector c30 = FloatVector.fromArray(S, c, o3), c31 = FloatVector.fromArray(S, c, o3 + 1 * l);
        FloatVector c40 = FloatVector.fromArray(S, c, o4), c41 = FloatVector.fromArray(S, c, o4 + 1 * l);
        FloatVector c50 = FloatVector.fromArray(S, c, o5), c51 = FloatVector.fromArray(S, c, o5 + 1 * l);
        for (int k = 0, ai = aOff, bi = bOff; k < kc; k++, ai += acs, bi += nr) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi), b1 = FloatVector.fromArray(S, bp, bi + 1 * l);
            FloatVector x = FloatVector.broadcast(S, a[ai]);  // c[r][j] = fma(A(r, k), B(k, j), c[r][j])
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[ai + a1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[ai + a2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[ai + a3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[ai + a4]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[ai + a5]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
        }
        c00.intoArray(c, o0); c01.intoArray(c, o0 + 1 * l);
        c10.intoArray(c, o1); c11.intoArray(c, o1 + 1 * l);
        c20.intoArray(c, o2); c21.intoArray(c, o2 + 1 * l);
        c30.intoArray(c, o3); c31.intoArray(c, o3 + 1 * l);
        c40.intoArray(c, o4); c41.intoArray(c, o4 + 1 * l);
        c50.intoArray(c, o5); c51.intoArray(c, o5 + 1 * l);
    }

    /** 6 x 8 tile (SSE, NEON). */
    private static void kernel128(int kc, float[] a, int aOff, int ars, int acs,
                                  float[] bp, int bOff, float[] c, int cOff, int ldc) {
        final VectorSpecies<Float> S = FloatVector.SPECIES_128;
        final int l = S.length();
        final int nr = 2 * l;
        final int a1 = 1 * ars, a2 = 2 * ars, a3 = 3 * ars, a4 = 4 * ars, a5 = 5 * ars;
        final int o0 = cOff, o1 = cOff + 1 * ldc, o2 = cOff + 2 * ldc, o3 = cOff + 3 * ldc, o4 = cOff + 4 * ldc,
                o5 = cOff + 5 * ldc;
        FloatVector c00 = FloatVector.fromArray(S, c, o0), c01 = FloatVector.fromArray(S, c, o0 + 1 * l);
        FloatVector c10 = FloatVector.fromArray(S, c, o1), c11 = FloatVector.fromArray(S, c, o1 + 1 * l);
        FloatVector c20 = FloatVector.fromArray(S, c, o2), c21 = FloatVector.fromArray(S, c, o2 + 1 * l);
        FloatVector c30 = FloatVector.fromArray(S, c, o3), c31 = FloatVector.fromArray(S, c, o3 + 1 * l);
        FloatVector c40 = FloatVector.fromArray(S, c, o4), c41 = FloatVector.fromArray(S, c, o4 + 1 * l);
        FloatVector c50 = FloatVector.fromArray(S, c, o5), c51 = FloatVector.fromArray(S, c, o5 + 1 * l);
        for (int k = 0, ai = aOff, bi = bOff; k < kc; k++, ai += acs, bi += nr) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi), b1 = FloatVector.fromArray(S, bp, bi + 1 * l);
            FloatVector x = FloatVector.broadcast(S, a[ai]);  // c[r][j] = fma(A(r, k), B(k, j), c[r][j])
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[ai + a1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[ai + a2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[ai + a3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[ai + a4]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[ai + a5]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
        }
        c00.intoArray(c, o0); c01.intoArray(c, o0 + 1 * l);
        c10.intoArray(c, o1); c11.intoArray(c, o1 + 1 * l);
        c20.intoArray(c, o2); c21.intoArray(c, o2 + 1 * l);
        c30.intoArray(c, o3); c31.intoArray(c, o3 + 1 * l);
        c40.intoArray(c, o4); c41.intoArray(c, o4 + 1 * l);
        c50.intoArray(c, o5); c51.intoArray(c, o5 + 1 * l);
    }

    /** Any other width (64-bit): correct, but the species is not a constant here, so it runs boxed and slow. */
    private static void kernelAny(VectorSpecies<Float> s, int kc, float[] a, int aOff, int ars, int acs,
                                  float[] bp, int bOff, float[] c, int cOff, int ldc) {
        final int l = s.length();
        final int nr = 2 * l;
        final int a1 = 1 * ars, a2 = 2 * ars, a3 = 3 * ars, a4 = 4 * ars, a5 = 5 * ars;
        final int o0 = cOff, o1 = cOff + 1 * ldc, o2 = cOff + 2 * ldc, o3 = cOff + 3 * ldc, o4 = cOff + 4 * ldc,
                o5 = cOff + 5 * ldc;
        FloatVector c00 = FloatVector.fromArray(s, c, o0), c01 = FloatVector.fromArray(s, c, o0 + 1 * l);
        FloatVector c10 = FloatVector.fromArray(s, c, o1), c11 = FloatVector.fromArray(s, c, o1 + 1 * l);
        FloatVector c20 = FloatVector.fromArray(s, c, o2), c21 = FloatVector.fromArray(s, c, o2 + 1 * l);
        FloatVector c30 = FloatVector.fromArray(s, c, o3), c31 = FloatVector.fromArray(s, c, o3 + 1 * l);
        FloatVector c40 = FloatVector.fromArray(s, c, o4), c41 = FloatVector.fromArray(s, c, o4 + 1 * l);
        FloatVector c50 = FloatVector.fromArray(s, c, o5), c51 = FloatVector.fromArray(s, c, o5 + 1 * l);
        for (int k = 0, ai = aOff, bi = bOff; k < kc; k++, ai += acs, bi += nr) {
            FloatVector b0 = FloatVector.fromArray(s, bp, bi), b1 = FloatVector.fromArray(s, bp, bi + 1 * l);
            FloatVector x = FloatVector.broadcast(s, a[ai]);  // c[r][j] = fma(A(r, k), B(k, j), c[r][j])
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(s, a[ai + a1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(s, a[ai + a2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(s, a[ai + a3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(s, a[ai + a4]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(s, a[ai + a5]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
        }
        c00.intoArray(c, o0); c01.intoArray(c, o0 + 1 * l);
        c10.intoArray(c, o1); c11.intoArray(c, o1 + 1 * l);
        c20.intoArray(c, o2); c21.intoArray(c, o2 + 1 * l);
        c30.intoArray(c, o3); c31.intoArray(c, o3 + 1 * l);
        c40.intoArray(c, o4); c41.intoArray(c, o4 + 1 * l);
        c50.intoArray(c, o5); c51.intoArray(c, o5 + 1 * l);
    }
}
