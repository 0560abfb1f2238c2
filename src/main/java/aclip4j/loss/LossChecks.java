package aclip4j.loss;

/**
 * Input checks shared by both twins of every §6 loss, so SIMD and ND4J refuse the same inputs with the same
 * message. Every failure is an {@link IllegalArgumentException} naming the value and what was expected.
 */
public final class LossChecks {
    private LossChecks() {}

    /** Refuses a dimension below 1. */
    public static void requirePositiveDim(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " = " + value + ", expected at least 1");
        }
    }

    /** Refuses a null array or one whose length is not {@code rows * cols}; the message gives the shape expected. */
    public static void requireMatrix(String what, float[] x, int rows, int cols) {
        if (x == null) {
            throw new IllegalArgumentException(what + " is null, expected [" + rows + "," + cols + "]");
        }
        long expected = (long) rows * cols;
        if (x.length != expected) {
            throw new IllegalArgumentException(what + " has " + x.length + " elements, expected [" + rows + ","
                    + cols + "] = " + expected);
        }
    }

    /** Refuses NaN or infinite elements, naming the first one by row and column. */
    public static void requireFinite(String what, float[] x, int cols) {
        for (int i = 0; i < x.length; i++) {
            if (!Float.isFinite(x[i])) {
                throw new IllegalArgumentException(what + " holds " + x[i] + " at [" + (i / cols) + "," + (i % cols)
                        + "], expected finite values");
            }
        }
    }

    /** Refuses a NaN or infinite scalar. */
    public static void requireFinite(String what, double value) {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException(what + " = " + value + ", expected a finite value");
        }
    }

    /** Refuses a temperature that is not a finite positive number (SimCLR divides by it). */
    public static void requireTemperature(double temperature) {
        if (!(temperature > 0) || !Double.isFinite(temperature)) {
            throw new IllegalArgumentException("temperature = " + temperature + ", expected a finite value > 0");
        }
    }

    /**
     * The number of views V in a view-major stack of {@code rows = V*B} rows; refuses rows that are not a
     * positive multiple of B.
     */
    public static int viewsOf(String what, int rows, int B) {
        requirePositiveDim("B", B);
        if (rows < B || rows % B != 0) {
            throw new IllegalArgumentException(what + " has " + rows + " rows, expected V*B rows with B = " + B
                    + " (a positive multiple of " + B + ")");
        }
        return rows / B;
    }
}
