package aclip4j.golden;

import aclip4j.tensor.Tensor;
import java.util.Arrays;

/**
 * The golden comparison rule (goldens/README.md): float elements pass when {@code |a - r| <= atol + rtol * |r|} and
 * neither is NaN; integer and U8 elements must match exactly; shapes must match exactly.
 */
public final class Compare {
    private Compare() {}

    /**
     * The outcome for one tensor: whether it passed, and the worst element (largest excess over its allowance,
     * or the first mismatch for integers) with its flat index, expected and actual values.
     */
    public record Result(boolean passed, String problem, int worstIndex, double expected, double actual,
                         double absError) {
        public String describe() {
            if (problem != null) {
                return problem;
            }
            if (worstIndex < 0) {
                return "empty";
            }
            return String.format("worst at [%d]: expected %s, actual %s, |diff| %s",
                    worstIndex, fmt(expected), fmt(actual), absError == 0 ? "0" : String.format("%.3g", absError));
        }

        private static String fmt(double v) {
            return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.format("%.9g", v);
        }
    }

    public static Result compare(Tensor expected, Tensor actual, GoldenCase.Tolerance tol) {
        if (actual == null) {
            return new Result(false, "output missing", -1, 0, 0, 0);
        }
        if (!Arrays.equals(expected.shape(), actual.shape())) {
            return new Result(false, "shape " + Arrays.toString(actual.shape()) + ", expected "
                    + Arrays.toString(expected.shape()), -1, 0, 0, 0);
        }
        boolean exact = !expected.dtype().isFloat();
        if (exact && actual.dtype().isFloat()) {
            return new Result(false, "dtype " + actual.dtype() + ", expected " + expected.dtype(), -1, 0, 0, 0);
        }
        int n = expected.numel();
        int worst = -1;
        double worstExcess = Double.NEGATIVE_INFINITY;
        boolean passed = true;
        for (int i = 0; i < n; i++) {
            double r = expected.getDouble(i);
            double a = actual.getDouble(i);
            double excess;
            if (Double.isNaN(r) || Double.isNaN(a)) {
                excess = Double.POSITIVE_INFINITY;
            } else if (exact) {
                excess = r == a ? -1 : Double.POSITIVE_INFINITY;
            } else if (r == a) {
                excess = -(tol.atol() + tol.rtol() * Math.abs(r)); // covers equal infinities
            } else {
                excess = Math.abs(a - r) - (tol.atol() + tol.rtol() * Math.abs(r));
            }
            if (excess > 0) {
                passed = false;
            }
            if (excess > worstExcess || worst < 0) {
                worstExcess = excess;
                worst = i;
                if (excess == Double.POSITIVE_INFINITY) {
                    break;
                }
            }
        }
        if (worst < 0) {
            return new Result(true, null, -1, 0, 0, 0);
        }
        double r = expected.getDouble(worst);
        double a = actual.getDouble(worst);
        return new Result(passed, null, worst, r, a, Math.abs(a - r));
    }
}
