package aclip4j.kernel;

/**
 * The complementary error function for the exact GELU (SPEC §1.4), which {@link Math} lacks.
 *
 * <p>Chebyshev fit {@code erfc(z) = t exp(-z^2 + P(t))}, {@code t = 1/(1 + z/2)} for {@code z >= 0}
 * (Press et al., <i>Numerical Recipes</i>, §6.2), fractional error below 1.2e-7 for every {@code z >= 0}; negative
 * arguments use {@code erfc(-z) = 2 - erfc(z)}. Being relative, the error stays small in the far negative tail of
 * GELU, where {@code 1 + erf} would cancel. This double version is the reference the fit is checked against;
 * {@link Gelu} evaluates the same fit in float with IEEE-exact operations only (its scalar specification and its
 * vector code give the same bits, docs/SPEC.md §13), which {@code Math.exp} here would not allow.
 */
public final class Erf {
    private Erf() {}

    /** The coefficients of P, also read (rounded to float) by {@link Gelu}. */
    static final double C0 = -1.26551223, C1 = 1.00002368, C2 = 0.37409196, C3 = 0.09678418,
            C4 = -0.18628806, C5 = 0.27886807, C6 = -1.13520398, C7 = 1.48851587, C8 = -0.82215223,
            C9 = 0.17087277;

    /** erfc(x), fractional error below 1.2e-7. */
    public static double erfc(double x) {
        double z = Math.abs(x);
        double t = 1.0 / (1.0 + 0.5 * z);
        double r = t * Math.exp(-z * z + poly(t));
        return x >= 0 ? r : 2.0 - r;
    }

    /** erf(x) = 1 - erfc(x). */
    public static double erf(double x) {
        return 1.0 - erfc(x);
    }

    private static double poly(double t) {
        return C0 + t * (C1 + t * (C2 + t * (C3 + t * (C4 + t * (C5 + t * (C6 + t * (C7 + t * (C8 + t * C9))))))));
    }
}
