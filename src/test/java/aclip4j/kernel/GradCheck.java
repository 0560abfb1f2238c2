package aclip4j.kernel;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import java.util.function.DoubleSupplier;

/**
 * Central finite differences of a float computation, in double: perturb one float entry by ±h, rerun, and divide
 * the difference of the double-summed loss by the actual float step. Tests use it against hand-written backwards.
 */
public final class GradCheck {
    private GradCheck() {}

    /** Deterministic random floats, normal times {@code scale}. */
    public static float[] randn(Random r, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * scale);
        }
        return v;
    }

    /** sum(out * probe) in double. */
    public static double dot(float[] out, float[] probe) {
        double s = 0;
        for (int i = 0; i < out.length; i++) {
            s += (double) out[i] * probe[i];
        }
        return s;
    }

    /**
     * Checks {@code analytic[i]} against the finite difference of {@code loss} in {@code param[i]} for the given
     * indices (all when null); fails listing the first few mismatches and the worst one.
     */
    public static void check(String what, float[] param, float[] analytic, int[] indices, DoubleSupplier loss,
                             double h, double atol, double rtol) {
        check(what, param, analytic, indices, loss, () -> null, h, atol, rtol);
    }

    /**
     * As above for a piecewise-smooth loss: {@code region} is read after each perturbed evaluation (e.g. the ReLU
     * on/off pattern); an entry whose two evaluations lie in different regions straddles a kink and is skipped.
     * Fails when more than half the entries are skipped, so the check cannot pass vacuously.
     */
    public static void check(String what, float[] param, float[] analytic, int[] indices, DoubleSupplier loss,
                             java.util.function.Supplier<Object> region, double h, double atol, double rtol) {
        int count = indices == null ? param.length : indices.length;
        StringBuilder bad = new StringBuilder();
        int failures = 0, skipped = 0;
        double worst = -1;
        String worstText = "";
        for (int k = 0; k < count; k++) {
            int i = indices == null ? k : indices[k];
            float orig = param[i];
            float up = (float) (orig + h), down = (float) (orig - h);
            param[i] = up;
            double lp = loss.getAsDouble();
            Object regionUp = region.get();
            param[i] = down;
            double lm = loss.getAsDouble();
            Object regionDown = region.get();
            param[i] = orig;
            if (!java.util.Objects.equals(regionUp, regionDown)) {
                skipped++;
                continue;
            }
            double fd = (lp - lm) / ((double) up - down);
            double an = analytic[i];
            double err = Math.abs(fd - an);
            double allowed = atol + rtol * Math.max(Math.abs(fd), Math.abs(an));
            String text = what + "[" + i + "]: finite difference " + fd + ", backward " + an;
            if (err / allowed > worst) {
                worst = err / allowed;
                worstText = text;
            }
            if (err > allowed) {
                failures++;
                if (failures <= 5) {
                    bad.append("\n  ").append(text);
                }
            }
        }
        if (failures > 0) {
            fail(failures + " of " + count + " gradient entries off:" + bad + "\n  worst: " + worstText);
        }
        if (skipped * 2 > count) {
            fail(what + ": " + skipped + " of " + count + " entries straddle a kink, too few checked");
        }
    }

    /** Up to {@code k} distinct random indices below n (all of them when n <= k). */
    public static int[] sample(Random r, int n, int k) {
        if (n <= k) {
            int[] all = new int[n];
            for (int i = 0; i < n; i++) {
                all[i] = i;
            }
            return all;
        }
        java.util.LinkedHashSet<Integer> set = new java.util.LinkedHashSet<>();
        while (set.size() < k) {
            set.add(r.nextInt(n));
        }
        return set.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Fails unless |a - e| <= atol + rtol |e| elementwise, printing the first pairs and the worst. */
    public static void assertClose(String what, float[] expected, float[] actual, double atol, double rtol) {
        if (expected.length != actual.length) {
            fail(what + ": length " + actual.length + ", expected " + expected.length);
        }
        int failures = 0;
        StringBuilder bad = new StringBuilder();
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs((double) actual[i] - expected[i]);
            double allowed = atol + rtol * Math.abs(expected[i]);
            if (!(err <= allowed)) {
                failures++;
                if (failures <= 5) {
                    bad.append("\n  [").append(i).append("] expected ").append(expected[i]).append(", got ").append(actual[i]);
                }
            }
            if (err > worst || Double.isNaN(err)) {
                worst = err;
                worstAt = i;
            }
        }
        if (failures > 0) {
            fail(what + ": " + failures + " of " + expected.length + " differ:" + bad + "\n  worst [" + worstAt
                    + "] |diff| " + worst);
        }
    }
}
