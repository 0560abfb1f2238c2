package aclip4j.loss;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code |a − r| <= atol + rtol * |r|} element by element; on failure the message lists the first few bad pairs and
 * the worst one (llm.c's check style).
 */
public final class Close {
    private Close() {}

    public static void assertClose(String what, double[] expected, float[] actual, double atol, double rtol) {
        double[] a = new double[actual.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = actual[i];
        }
        assertClose(what, expected, a, atol, rtol);
    }

    public static void assertClose(String what, float[] expected, float[] actual, double atol, double rtol) {
        double[] e = new double[expected.length];
        for (int i = 0; i < e.length; i++) {
            e[i] = expected[i];
        }
        assertClose(what, e, actual, atol, rtol);
    }

    public static void assertClose(String what, double[] expected, double[] actual, double atol, double rtol) {
        if (expected.length != actual.length) {
            fail(what + ": length " + actual.length + ", expected " + expected.length);
        }
        StringBuilder firstBad = new StringBuilder();
        int bad = 0;
        int worst = -1;
        double worstExcess = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < expected.length; i++) {
            double diff = Math.abs(actual[i] - expected[i]);
            double excess = Double.isNaN(diff) ? Double.POSITIVE_INFINITY : diff - (atol + rtol * Math.abs(expected[i]));
            if (excess > worstExcess) {
                worstExcess = excess;
                worst = i;
            }
            if (excess > 0) {
                if (bad < 5) {
                    firstBad.append(String.format(" [%d] expected %.9g actual %.9g;", i, expected[i], actual[i]));
                }
                bad++;
            }
        }
        if (bad > 0) {
            fail(String.format("%s: %d of %d elements off (atol %.3g, rtol %.3g):%s worst [%d] expected %.9g actual %.9g",
                    what, bad, expected.length, atol, rtol, firstBad, worst, expected[worst], actual[worst]));
        }
    }

    public static void assertClose(String what, double expected, double actual, double atol, double rtol) {
        assertClose(what, new double[] {expected}, new double[] {actual}, atol, rtol);
    }

    public static double maxAbs(double[] x) {
        double m = 0;
        for (double v : x) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }
}
