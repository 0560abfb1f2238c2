package aclip4j.ema;

/**
 * The EMA momentum schedule over {@code I} optimiser steps (SPEC §7): {@code m_i = 1 − (1 − m0)(1 + cos(π i/I))/2}
 * for {@code i = 0..I−1}, rising from {@code m0} at the first step towards 1. Plain double arithmetic, evaluated
 * left to right as written (the angle is {@code (π·i)/I}); {@link StrictMath#cos} so the bits are the same on
 * every JVM. Golden component {@code momentum_schedule} (output {@code momentum} F64 {@code [steps]}).
 */
public final class MomentumSchedule {
    /** The paper's base momentum (SPEC §7). */
    public static final double DEFAULT_M0 = 0.996;

    private MomentumSchedule() {}

    /** {@code m_i} for step {@code i} of {@code steps} (0 ≤ i ≤ steps; i = steps gives 1). */
    public static double momentum(double m0, int step, int steps) {
        checkM0(m0);
        if (steps < 1) {
            throw new IllegalArgumentException("momentum schedule over " + steps + " steps, expected at least 1");
        }
        if (step < 0 || step > steps) {
            throw new IllegalArgumentException("momentum step " + step + " is outside [0, " + steps + "]");
        }
        return value(m0, step, steps);
    }

    /** The whole schedule {@code [steps]}; empty for 0 steps. */
    public static double[] schedule(double m0, int steps) {
        checkM0(m0);
        if (steps < 0) {
            throw new IllegalArgumentException("momentum schedule over " + steps + " steps, expected >= 0");
        }
        double[] out = new double[steps];
        for (int i = 0; i < steps; i++) {
            out[i] = value(m0, i, steps);
        }
        return out;
    }

    private static double value(double m0, int i, int steps) {
        return 1.0 - (1.0 - m0) * (1.0 + StrictMath.cos(Math.PI * i / steps)) / 2.0;
    }

    private static void checkM0(double m0) {
        if (!(m0 >= 0.0 && m0 <= 1.0)) {
            throw new IllegalArgumentException("base momentum m0 = " + m0 + ", expected a value in [0, 1]");
        }
    }
}
