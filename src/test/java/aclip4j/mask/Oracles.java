package aclip4j.mask;

import aclip4j.kernel.Bits;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * Independent float64 computations of the masking components, written straight from SPEC §3 and §5, and random
 * test data. Nothing here shares code with the implementations under test.
 */
final class Oracles {
    private Oracles() {}

    /** Sizes that hit vector tails: 1, primes, and lane counts (4, 8, 16 floats) plus and minus one. */
    static final int[] SIZES = {1, 2, 3, 4, 5, 7, 8, 9, 13, 15, 16, 17, 31, 33};

    static float[] uniform(Random rnd, int n, float lo, float hi) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = lo + (hi - lo) * rnd.nextFloat();
        }
        return x;
    }

    static float[] gaussian(Random rnd, int n, double std) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextGaussian() * std);
        }
        return x;
    }

    /** Values drawn from only {@code levels} distinct numbers, so ties are everywhere. */
    static float[] discrete(Random rnd, int n, int levels) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = rnd.nextInt(levels) * 0.25f;
        }
        return x;
    }

    /** Distinct values (a shuffled permutation, scaled), for orderings without ties. */
    static float[] distinct(Random rnd, int n) {
        List<Integer> perm = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            perm.add(i);
        }
        java.util.Collections.shuffle(perm, rnd);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = perm.get(i) / (float) n;
        }
        return x;
    }

    /** §3 in float64: softmax of the CLS query row over all keys, keys 1..T-1 averaged over layers and heads. */
    static double[] attentionScore(float[] q, float[] k, int L, int B, int H, int T, int hs, boolean lastOnly) {
        int N = T - 1;
        double[] s = new double[B * N];
        double scale = 1.0 / Math.sqrt(hs);
        int first = lastOnly ? L - 1 : 0;
        for (int l = first; l < L; l++) {
            for (int b = 0; b < B; b++) {
                for (int h = 0; h < H; h++) {
                    double[] p = clsRow(q, k, l, b, h, B, H, T, hs, scale);
                    for (int i = 0; i < N; i++) {
                        s[b * N + i] += p[1 + i];
                    }
                }
            }
        }
        int count = (L - first) * H;
        for (int i = 0; i < s.length; i++) {
            s[i] /= count;
        }
        return s;
    }

    /** The float64 softmax row P[l][b][h][0][:]. */
    static double[] clsRow(float[] q, float[] k, int l, int b, int h, int B, int H, int T, int hs, double scale) {
        int base = ((l * B + b) * H + h) * T * hs;
        double[] logits = new double[T];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < T; j++) {
            double d = 0;
            for (int c = 0; c < hs; c++) {
                d += (double) q[base + c] * k[base + j * hs + c];
            }
            logits[j] = d * scale;
            max = Math.max(max, logits[j]);
        }
        double sum = 0;
        for (int j = 0; j < T; j++) {
            logits[j] = Math.exp(logits[j] - max);
            sum += logits[j];
        }
        for (int j = 0; j < T; j++) {
            logits[j] /= sum;
        }
        return logits;
    }

    /** {@link #resize(double[], int, int, int, int, int, boolean)} with float32 source positions. */
    static double[] resize(double[] x, int P, int inH, int inW, int outH, int outW) {
        return resize(x, P, inH, inW, outH, outW, true);
    }

    /** §5.1 source position of output index d: in float32 as PyTorch computes it, or exactly (in float64). */
    static double source(int d, int in, int out, boolean float32Positions) {
        if (float32Positions) {
            float scale = (float) in / out;
            return Math.max(0f, (d + 0.5f) * scale - 0.5f);
        }
        return Math.max(0, (d + 0.5) * in / out - 0.5);
    }

    /**
     * §5.1 bilinear resize of P planes in float64, one output pixel at a time straight from the formula. With
     * {@code float32Positions} the source positions are rounded as PyTorch's float32 kernel rounds them and only
     * the blending is in double; without, everything is exact double.
     */
    static double[] resize(double[] x, int P, int inH, int inW, int outH, int outW, boolean float32Positions) {
        double[] y = new double[P * outH * outW];
        for (int p = 0; p < P; p++) {
            for (int oy = 0; oy < outH; oy++) {
                double sy = source(oy, inH, outH, float32Positions);
                int y0 = (int) Math.floor(sy);
                int y1 = Math.min(y0 + 1, inH - 1);
                double ly = sy - y0;
                for (int ox = 0; ox < outW; ox++) {
                    double sx = source(ox, inW, outW, float32Positions);
                    int x0 = (int) Math.floor(sx);
                    int x1 = Math.min(x0 + 1, inW - 1);
                    double lx = sx - x0;
                    double a = x[(p * inH + y0) * inW + x0];
                    double b = x[(p * inH + y0) * inW + x1];
                    double c = x[(p * inH + y1) * inW + x0];
                    double d = x[(p * inH + y1) * inW + x1];
                    y[(p * outH + oy) * outW + ox] = (1 - ly) * ((1 - lx) * a + lx * b) + ly * ((1 - lx) * c + lx * d);
                }
            }
        }
        return y;
    }

    static double[] toDoubles(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }

    /** §5.1 view scores in float64: resize, crop with zeros outside, resize. */
    static double[] viewScores(float[] map, int B, int Ge, int[] ema, int[] view, int G) {
        double[] out = new double[B * G * G];
        for (int b = 0; b < B; b++) {
            double[] m = new double[Ge * Ge];
            for (int i = 0; i < Ge * Ge; i++) {
                m[i] = map[b * Ge * Ge + i];
            }
            int he = ema[4 * b + 2];
            int we = ema[4 * b + 3];
            double[] r = resize(m, 1, Ge, Ge, he, we);
            int hv = view[4 * b + 2];
            int wv = view[4 * b + 3];
            double[] c = new double[hv * wv];
            for (int i = 0; i < hv; i++) {
                for (int j = 0; j < wv; j++) {
                    int ri = view[4 * b] - ema[4 * b] + i;
                    int rj = view[4 * b + 1] - ema[4 * b + 1] + j;
                    c[i * wv + j] = ri >= 0 && ri < he && rj >= 0 && rj < we ? r[ri * we + rj] : 0;
                }
            }
            System.arraycopy(resize(c, 1, hv, wv, G, G), 0, out, b * G * G, G * G);
        }
        return out;
    }

    /** §5.2 in float64: plain mean of every r x r block. */
    static double[] pool(float[] s, int B, int G, int r) {
        int g = G / r;
        double[] out = new double[B * g * g];
        for (int b = 0; b < B; b++) {
            for (int y = 0; y < G; y++) {
                for (int x = 0; x < G; x++) {
                    out[(b * g + y / r) * g + x / r] += s[(b * G + y) * G + x] / (double) (r * r);
                }
            }
        }
        return out;
    }

    /**
     * §5.4 for one image by stable sorting: the kept cell indices of {@code strategy}, ordered as picked.
     * {@code List.sort} is a stable merge sort, so equal values keep ascending index order: ties to the lower index.
     */
    static List<Integer> keptCells(float[] scores, float[] noise, int off, int n, String strategy, int K, int mixedTop) {
        List<Integer> cells = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            cells.add(i);
        }
        Comparator<Integer> byScoreAsc = (a, b) -> compareValues(scores[off + a], scores[off + b]);
        Comparator<Integer> byNoiseAsc = (a, b) -> compareValues(noise[off + a], noise[off + b]);
        switch (strategy) {
            case "low": {
                cells.sort((a, b) -> compareValues(scores[off + b], scores[off + a]));
                return new ArrayList<>(cells.subList(0, K));
            }
            case "high": {
                cells.sort(byScoreAsc);
                return new ArrayList<>(cells.subList(0, K));
            }
            case "random": {
                cells.sort(byNoiseAsc);
                return new ArrayList<>(cells.subList(0, K));
            }
            case "mixed": {
                cells.sort((a, b) -> compareValues(scores[off + b], scores[off + a]));
                List<Integer> kept = new ArrayList<>(cells.subList(0, mixedTop));
                List<Integer> rest = new ArrayList<>(cells.subList(mixedTop, n));
                rest.sort(Comparator.naturalOrder()); // back to index order before the stable noise sort
                rest.sort(byNoiseAsc);
                kept.addAll(rest.subList(0, K - mixedTop));
                return kept;
            }
            default:
                throw new AssertionError(strategy);
        }
    }

    /** Numeric order with -0.0 equal to 0.0 (unlike Float.compare). */
    private static int compareValues(float a, float b) {
        return a < b ? -1 : a > b ? 1 : 0;
    }

    /** Tokens of the given cells on the G = g*r grid, ascending. */
    static int[] tokens(List<Integer> cells, int g, int r) {
        int G = g * r;
        List<Integer> t = new ArrayList<>();
        for (int cell : cells) {
            for (int a = 0; a < r; a++) {
                for (int c = 0; c < r; c++) {
                    t.add((cell / g * r + a) * G + cell % g * r + c);
                }
            }
        }
        return t.stream().mapToInt(Integer::intValue).sorted().toArray();
    }

    /** Asserts |a - r| <= atol + rtol*|r| elementwise, naming the worst element. */
    static void assertClose(String what, double[] expected, float[] actual, double atol, double rtol) {
        if (expected.length != actual.length) {
            throw new AssertionError(what + ": length " + actual.length + ", expected " + expected.length);
        }
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < expected.length; i++) {
            double excess = Math.abs(actual[i] - expected[i]) - (atol + rtol * Math.abs(expected[i]));
            if (Double.isNaN(actual[i]) || excess > worstExcess) {
                worst = i;
                worstExcess = Double.isNaN(actual[i]) ? Double.POSITIVE_INFINITY : excess;
            }
        }
        if (worst >= 0) {
            throw new AssertionError(String.format("%s: element %d is %s, expected %s (|diff| %.3g > atol %.1g + rtol %.1g)",
                    what, worst, actual[worst], expected[worst], Math.abs(actual[worst] - expected[worst]), atol, rtol));
        }
    }

    static void assertClose(String what, float[] expected, float[] actual, double atol, double rtol) {
        assertClose(what, toDoubles(expected), actual, atol, rtol);
    }

    static void assertSameBits(String what, float[] expected, float[] actual) {
        Bits.assertSameBits(what, expected, actual);
    }

    /** Bit-for-bit equality except that -0.0 equals 0.0. */
    static void assertSame(String what, float[] expected, float[] actual) {
        if (expected.length != actual.length) {
            throw new AssertionError(what + ": length " + actual.length + ", expected " + expected.length);
        }
        for (int i = 0; i < expected.length; i++) {
            if (!(expected[i] == actual[i])) {
                throw new AssertionError(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]);
            }
        }
    }
}
