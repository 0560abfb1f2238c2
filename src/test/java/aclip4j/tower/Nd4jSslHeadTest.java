package aclip4j.tower;

import static aclip4j.tower.Nd4jVisionTowerTest.assertClose;
import static aclip4j.tower.Nd4jVisionTowerTest.d;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import aclip4j.tensor.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The SameDiff SSL heads (§6) against a float64 loop reference, finite differences and the SIMD twin. */
class Nd4jSslHeadTest {
    // D 7, SimCLR 9 -> 5, BYOL 6 -> 4: odd sizes so no dimension hides a transposition.
    static final HeadsConfig CFG = new HeadsConfig(7, 9, 5, 6, 4);

    @BeforeAll
    static void singleThreaded() {
        Nd4jTowerReference.singleThreaded();
    }

    @AfterAll
    static void restoreThreads() {
        Nd4jTowerReference.restoreThreads();
    }

    /** Random parameters; BatchNorm running variances positive. */
    static Map<String, double[]> weights(SslHead.Kind kind, long seed) {
        Map<String, int[]> shapes = SslHead.shapes(kind, CFG);
        Map<String, double[]> w = Nd4jTowerReference.randomWeights(shapes, seed, 0.5);
        for (Map.Entry<String, double[]> e : w.entrySet()) {
            if (e.getKey().endsWith("running_var")) {
                double[] a = e.getValue();
                for (int i = 0; i < a.length; i++) {
                    a[i] = 0.5 + Math.abs(a[i]);
                }
            }
        }
        return Nd4jTowerReference.roundedToFloat(w);
    }

    /** Float64 loops: out [B,Dout] and, when training, the refreshed running statistics by name. */
    static double[] reference(SslHead.Kind kind, Map<String, double[]> w, double[] x, int B, boolean training,
                              Map<String, double[]> running) {
        List<String[]> stages = kind == SslHead.Kind.SIMCLR
                ? List.of(new String[] {"layer1", "bn1"}, new String[] {"layer2", "bn2"}, new String[] {"layer3", null})
                : List.of(new String[] {"0", "1"}, new String[] {"3", null});
        double[] cur = x;
        int width = CFG.inputWidth(kind);
        for (String[] s : stages) {
            double[] W = w.get(s[0] + ".weight");
            double[] bias = w.get(s[0] + ".bias");
            int out = W.length / width;
            double[] y = new double[B * out];
            for (int b = 0; b < B; b++) {
                double[] row = Nd4jTowerReference.linear(W, bias, Arrays.copyOfRange(cur, b * width, (b + 1) * width),
                        out, width);
                System.arraycopy(row, 0, y, b * out, out);
            }
            if (s[1] != null) {
                double[] g = w.get(s[1] + ".weight"), be = w.get(s[1] + ".bias");
                double[] rm = w.get(s[1] + ".running_mean"), rv = w.get(s[1] + ".running_var");
                double[] nrm = new double[out], nrv = new double[out];
                for (int j = 0; j < out; j++) {
                    double mean = 0, var = 0;
                    if (training) {
                        for (int b = 0; b < B; b++) {
                            mean += y[b * out + j] / B;
                        }
                        for (int b = 0; b < B; b++) {
                            var += (y[b * out + j] - mean) * (y[b * out + j] - mean) / B;
                        }
                        nrm[j] = 0.9 * rm[j] + 0.1 * mean;
                        nrv[j] = 0.9 * rv[j] + 0.1 * var * B / (B - 1);
                    } else {
                        mean = rm[j];
                        var = rv[j];
                    }
                    for (int b = 0; b < B; b++) {
                        double z = (y[b * out + j] - mean) / Math.sqrt(var + 1e-5) * g[j] + be[j];
                        y[b * out + j] = Math.max(0, z);
                    }
                }
                if (training) {
                    running.put(s[1] + ".running_mean", nrm);
                    running.put(s[1] + ".running_var", nrv);
                }
            }
            cur = y;
            width = out;
        }
        return cur;
    }

    @Test
    void forwardMatchesReferenceInBothModes() {
        for (SslHead.Kind kind : SslHead.Kind.values()) {
            Map<String, double[]> w = weights(kind, 3 + kind.ordinal());
            Map<String, Tensor> wt = Nd4jTowerReference.tensors(w, SslHead.shapes(kind, CFG), false);
            int B = 5, in = CFG.inputWidth(kind);
            double[] x = Nd4jVisionTowerTest.randomImages(9, B * in);
            for (boolean training : new boolean[] {true, false}) {
                Map<String, double[]> running = new LinkedHashMap<>();
                double[] ref = reference(kind, w, x, B, training, running);
                SslHead.Pass p = new Nd4jSslHead(kind, CFG).forward(wt, Nd4jTowerReference.toFloats(x), B, training);
                assertClose(kind + " out training=" + training, ref, d(p.out()), 2e-5, 2e-4);
                assertEquals(running.keySet(), p.runningStats().keySet(), kind + " running stat names");
                for (String n : running.keySet()) {
                    assertClose(kind + " " + n, running.get(n), d(p.runningStats().get(n).floats()), 1e-5, 1e-4);
                }
            }
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        for (SslHead.Kind kind : SslHead.Kind.values()) {
            for (boolean training : new boolean[] {true, false}) {
                Map<String, int[]> shapes = SslHead.shapes(kind, CFG);
                Map<String, Tensor> wt = Nd4jTowerReference.tensors(weights(kind, 11 + kind.ordinal()), shapes, true);
                int B = 4, in = CFG.inputWidth(kind);
                float[] x = Nd4jTowerReference.toFloats(Nd4jVisionTowerTest.randomImages(12, B * in));
                Nd4jSslHead head = new Nd4jSslHead(kind, CFG, DataType.DOUBLE);
                INDArray dOut = Nd4j.randn(DataType.DOUBLE, B, CFG.outputWidth(kind));
                Map<String, INDArray> g = head.forwardNd(wt, x, B, training).backwardNd(dOut);
                Random r = new Random(13);
                double h = 1e-6;
                for (Map.Entry<String, int[]> e : shapes.entrySet()) {
                    if (SslHead.isBuffer(e.getKey())) {
                        assertTrue(!g.containsKey(e.getKey()), "buffer " + e.getKey() + " has no gradient");
                        continue;
                    }
                    double[] a = wt.get(e.getKey()).doubles();
                    double[] ga = d(g.get(e.getKey()));
                    double[] orig = a.clone();
                    double gu = 0;
                    double[] u = new double[a.length];
                    for (int i = 0; i < a.length; i++) {
                        u[i] = r.nextGaussian();
                        gu += u[i] * ga[i];
                    }
                    for (int i = 0; i < a.length; i++) {
                        a[i] = orig[i] + h * u[i];
                    }
                    double lp = head.forwardNd(wt, x, B, training).outNd().mul(dOut).sumNumber().doubleValue();
                    for (int i = 0; i < a.length; i++) {
                        a[i] = orig[i] - h * u[i];
                    }
                    double lm = head.forwardNd(wt, x, B, training).outNd().mul(dOut).sumNumber().doubleValue();
                    System.arraycopy(orig, 0, a, 0, a.length);
                    double fd = (lp - lm) / (2 * h);
                    assertEquals(fd, gu, 1e-6 + 1e-5 * Math.abs(fd),
                            kind + " training=" + training + " " + e.getKey() + ": g.u vs finite difference");
                }
                // The input gradient, one element (x is float[], so perturb by a float-representable step).
                int i = r.nextInt(x.length);
                float keep = x[i];
                float step = 1f / 1024;
                x[i] = keep + step;
                double lp = head.forwardNd(wt, x, B, training).outNd().mul(dOut).sumNumber().doubleValue();
                x[i] = keep - step;
                double lm = head.forwardNd(wt, x, B, training).outNd().mul(dOut).sumNumber().doubleValue();
                x[i] = keep;
                double fd = (lp - lm) / (2 * step);
                assertEquals(fd, d(g.get("input"))[i], 1e-3 + 1e-3 * Math.abs(fd), kind + " dInput[" + i + "]");
            }
        }
    }

    @Test
    void agreesWithSimdTwin() {
        for (SslHead.Kind kind : SslHead.Kind.values()) {
            Map<String, int[]> shapes = SslHead.shapes(kind, CFG);
            Map<String, Tensor> wt = Nd4jTowerReference.tensors(weights(kind, 31 + kind.ordinal()), shapes, false);
            int B = 3, in = CFG.inputWidth(kind), o = CFG.outputWidth(kind);
            float[] x = Nd4jTowerReference.toFloats(Nd4jVisionTowerTest.randomImages(32, B * in));
            float[] dOut = Nd4jTowerReference.toFloats(Nd4jVisionTowerTest.randomImages(33, B * o));
            for (boolean training : new boolean[] {true, false}) {
                SslHead.Pass nd = new Nd4jSslHead(kind, CFG).forward(wt, x, B, training);
                SslHead.Pass simd = new SimdSslHead(kind, CFG).forward(wt, x, B, training);
                String what = kind + " training=" + training;
                assertClose(what + " out", d(simd.out()), d(nd.out()), 1e-5, 1e-4);
                assertEquals(simd.runningStats().keySet(), nd.runningStats().keySet(), what);
                for (String n : simd.runningStats().keySet()) {
                    assertClose(what + " " + n, d(simd.runningStats().get(n).floats()),
                            d(nd.runningStats().get(n).floats()), 1e-6, 1e-5);
                }
                SslHead.Grads gs = simd.backward(dOut), gn = nd.backward(dOut);
                assertClose(what + " dInput", d(gs.dInput()), d(gn.dInput()), 1e-4, 1e-3);
                assertEquals(gs.weights().keySet(), gn.weights().keySet(), what + " gradient names");
                for (String n : gs.weights().keySet()) {
                    assertClose(what + " grad " + n, d(gs.weights().get(n).floats()), d(gn.weights().get(n).floats()),
                            1e-4, 1e-3);
                }
            }
        }
    }

    @Test
    void badInputsAreRefused() {
        Map<String, int[]> shapes = SslHead.shapes(SslHead.Kind.SIMCLR, CFG);
        Map<String, Tensor> wt = Nd4jTowerReference.tensors(weights(SslHead.Kind.SIMCLR, 1), shapes, false);
        Nd4jSslHead head = new Nd4jSslHead(SslHead.Kind.SIMCLR, CFG);
        assertThrows(IllegalArgumentException.class, () -> head.forward(wt, new float[7], 1, true));
        assertThrows(IllegalArgumentException.class, () -> head.forward(wt, new float[8], 1, false));
        Map<String, Tensor> bad = new LinkedHashMap<>(wt);
        bad.put("layer2.weight", Tensor.f32(new float[9 * 8], 9, 8));
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> head.forward(bad, new float[14], 2, true));
        assertTrue(ex.getMessage().contains("layer2.weight"), ex.getMessage());
    }
}
