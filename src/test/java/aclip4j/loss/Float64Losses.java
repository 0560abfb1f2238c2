package aclip4j.loss;

import java.util.Random;
import java.util.function.ToDoubleFunction;

/**
 * A float64 oracle for the SPEC §6 losses, written straight from the formulas (no saved state, no backward),
 * and central finite differences for their gradients. Shared by the gradient checks and the golden handler tests.
 */
public final class Float64Losses {
    private Float64Losses() {}

    /** x / max(||x||, 1e-12) for each row of x (R,D). */
    public static double[] normalizeRows(double[] x, int R, int D) {
        double[] y = new double[R * D];
        for (int r = 0; r < R; r++) {
            double ss = 0;
            for (int d = 0; d < D; d++) {
                ss += x[r * D + d] * x[r * D + d];
            }
            double denom = Math.max(Math.sqrt(ss), 1e-12);
            for (int d = 0; d < D; d++) {
                y[r * D + d] = x[r * D + d] / denom;
            }
        }
        return y;
    }

    static double dotRows(double[] x, int i, double[] y, int j, int D) {
        double s = 0;
        for (int d = 0; d < D; d++) {
            s += x[i * D + d] * y[j * D + d];
        }
        return s;
    }

    static double logSumExp(double[] row) {
        double m = Double.NEGATIVE_INFINITY;
        for (double v : row) {
            m = Math.max(m, v);
        }
        double s = 0;
        for (double v : row) {
            s += Math.exp(v - m);
        }
        return m + Math.log(s);
    }

    /** L_v for each view: image (V*B,E) view-major, text (B,E), t the log of the logit multiplier. */
    public static double[] clipPerView(double[] image, double[] text, double t, int V, int B, int E) {
        double[] img = normalizeRows(image, V * B, E);
        double[] txt = normalizeRows(text, B, E);
        double s = Math.exp(t);
        double[] out = new double[V];
        for (int v = 0; v < V; v++) {
            double[][] logits = new double[B][B];
            for (int i = 0; i < B; i++) {
                for (int j = 0; j < B; j++) {
                    logits[i][j] = s * dotRows(img, v * B + i, txt, j, E);
                }
            }
            double ceImage = 0;
            double ceText = 0;
            for (int i = 0; i < B; i++) {
                double[] col = new double[B];
                for (int k = 0; k < B; k++) {
                    col[k] = logits[k][i];
                }
                ceImage += logSumExp(logits[i]) - logits[i][i];
                ceText += logSumExp(col) - logits[i][i];
            }
            out[v] = (ceImage / B + ceText / B) / 2;
        }
        return out;
    }

    public static double clip(double[] image, double[] text, double t, int V, int B, int E) {
        double sum = 0;
        for (double l : clipPerView(image, text, t, V, B, E)) {
            sum += l;
        }
        return sum / V;
    }

    /** NT-Xent between a and b (B,D) at temperature tau. */
    public static double simclr(double[] a, double[] b, int B, int D, double tau) {
        double[] an = normalizeRows(a, B, D);
        double[] bn = normalizeRows(b, B, D);
        return (ntXentSide(an, bn, B, D, tau) + ntXentSide(bn, an, B, D, tau)) / 2;
    }

    private static double ntXentSide(double[] x, double[] y, int B, int D, double tau) {
        double sum = 0;
        for (int i = 0; i < B; i++) {
            double[] row = new double[2 * B];
            for (int j = 0; j < B; j++) {
                row[j] = dotRows(x, i, y, j, D) / tau;
                row[B + j] = dotRows(x, i, x, j, D) / tau - (i == j ? 1e9 : 0);
            }
            sum += logSumExp(row) - row[i];
        }
        return sum / B;
    }

    public static double simsiam(double[] p1, double[] p2, double[] z1, double[] z2, int B, int D) {
        return (negMeanCos(p1, z2, B, D) + negMeanCos(p2, z1, B, D)) / 2;
    }

    private static double negMeanCos(double[] p, double[] z, int B, int D) {
        double[] pn = normalizeRows(p, B, D);
        double[] zn = normalizeRows(z, B, D);
        double s = 0;
        for (int b = 0; b < B; b++) {
            s += dotRows(pn, b, zn, b, D);
        }
        return -s / B;
    }

    public static double byol(double[] pred, double[] target, int V, int B, int D) {
        double[] pn = normalizeRows(pred, V * B, D);
        double[] tn = normalizeRows(target, B, D);
        double s = 0;
        for (int v = 0; v < V; v++) {
            for (int b = 0; b < B; b++) {
                s += 2 - 2 * dotRows(pn, v * B + b, tn, b, D);
            }
        }
        return s / (V * B);
    }

    /**
     * Central differences {@code (f(x + h e_i) − f(x − h e_i)) / 2h}, with h relative to each row's scale so rows
     * under the 1e-12 normalisation floor are probed inside the floor.
     */
    public static double[] gradient(ToDoubleFunction<double[]> f, double[] x, int D) {
        double[] g = new double[x.length];
        double[] probe = x.clone();
        for (int i = 0; i < x.length; i++) {
            int r = i / D;
            double rowScale = 0;
            for (int d = 0; d < D; d++) {
                rowScale = Math.max(rowScale, Math.abs(x[r * D + d]));
            }
            double h = 1e-6 * (rowScale > 0 ? Math.min(rowScale, 1.0) : 1e-20);
            probe[i] = x[i] + h;
            double up = f.applyAsDouble(probe);
            probe[i] = x[i] - h;
            double down = f.applyAsDouble(probe);
            probe[i] = x[i];
            g[i] = (up - down) / (2 * h);
        }
        return g;
    }

    /** Central difference of a scalar function. */
    public static double derivative(java.util.function.DoubleUnaryOperator f, double x) {
        double h = 1e-6;
        return (f.applyAsDouble(x + h) - f.applyAsDouble(x - h)) / (2 * h);
    }

    public static double[] widen(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }

    public static float[] narrow(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            f[i] = (float) x[i];
        }
        return f;
    }

    /** Standard normal floats from an explicit seed. */
    public static float[] gaussian(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }
}
