package aclip4j.optim;

/**
 * The learning-rate schedule (SPEC §8): a linear warm-up from {@code lrStart} to {@code lr} over
 * {@code warmupSteps} steps with both ends included, then a cosine decay
 * {@code lrEnd + (lr − lrEnd)(1 + cos(π t/Tc))/2} for {@code t = 0..Tc−1}, {@code Tc = totalSteps − warmupSteps}.
 *
 * <p>The warm-up is computed as {@code numpy.linspace(lrStart, lr, warmupSteps)} computes it, so the values match
 * the official code's schedule bit for bit: {@code step = (lr − lrStart)/(n − 1)}, element {@code i} is
 * {@code lrStart + i·step}, the last element is exactly {@code lr}, and a single warm-up step is {@code lrStart}.
 * The cosine uses {@link StrictMath#cos} so every JVM gives the same bits. Golden component {@code lr_schedule}
 * (output {@code lr} F64 {@code [total_steps]}).
 */
public final class LrSchedule {
    private final double lr;
    private final double lrStart;
    private final double lrEnd;
    private final int warmupSteps;
    private final int totalSteps;

    /**
     * @param lr          the peak rate, reached at the last warm-up step and at the first cosine step
     * @param lrStart     the rate at the first warm-up step
     * @param lrEnd       the rate the cosine decays towards (reached at {@code t = Tc}, one past the end)
     * @param warmupSteps warm-up length, {@code 0 ≤ warmupSteps ≤ totalSteps}
     * @param totalSteps  the number of optimiser steps the schedule covers
     */
    public LrSchedule(double lr, double lrStart, double lrEnd, int warmupSteps, int totalSteps) {
        checkRate("lr", lr);
        checkRate("lr_start", lrStart);
        checkRate("lr_end", lrEnd);
        if (warmupSteps < 0 || totalSteps < 0) {
            throw new IllegalArgumentException("warm-up steps " + warmupSteps + " and total steps " + totalSteps
                    + " must both be >= 0");
        }
        if (warmupSteps > totalSteps) {
            throw new IllegalArgumentException("warm-up steps " + warmupSteps + " exceed total steps " + totalSteps);
        }
        this.lr = lr;
        this.lrStart = lrStart;
        this.lrEnd = lrEnd;
        this.warmupSteps = warmupSteps;
        this.totalSteps = totalSteps;
    }

    /** The whole schedule, {@code [totalSteps]}. */
    public static double[] schedule(double lr, double lrStart, double lrEnd, int warmupSteps, int totalSteps) {
        return new LrSchedule(lr, lrStart, lrEnd, warmupSteps, totalSteps).values();
    }

    /** The rate at 0-based optimiser step {@code step}, {@code 0 ≤ step < totalSteps}. */
    public double at(int step) {
        if (step < 0 || step >= totalSteps) {
            throw new IllegalArgumentException("step " + step + " is outside the schedule [0, " + totalSteps + ")");
        }
        if (step < warmupSteps) {
            return linspace(lrStart, lr, warmupSteps, step);
        }
        int t = step - warmupSteps;
        int cosineSteps = totalSteps - warmupSteps;
        return lrEnd + (lr - lrEnd) * (1.0 + StrictMath.cos(Math.PI * t / cosineSteps)) / 2.0;
    }

    /** Every step's rate, {@code [totalSteps]}. */
    public double[] values() {
        double[] out = new double[totalSteps];
        for (int i = 0; i < totalSteps; i++) {
            out[i] = at(i);
        }
        return out;
    }

    public int totalSteps() {
        return totalSteps;
    }

    public int warmupSteps() {
        return warmupSteps;
    }

    /**
     * Element {@code i} of {@code numpy.linspace(a, b, n)} (endpoint included), following numpy's arithmetic:
     * {@code i·step + a} with {@code step = (b − a)/(n − 1)}; when that step underflows to 0, {@code (i/(n−1))·(b − a) + a};
     * the last element is {@code b} itself; for {@code n = 1} the only element is {@code a}.
     */
    static double linspace(double a, double b, int n, int i) {
        int div = n - 1;
        double delta = b - a;
        if (div <= 0) {
            return 0.0 * delta + a;
        }
        if (i == n - 1) {
            return b;
        }
        double step = delta / div;
        if (step == 0.0) {
            return ((double) i / div) * delta + a;
        }
        return i * step + a;
    }

    private static void checkRate(String name, double value) {
        if (!(value >= 0.0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(name + " = " + value + ", expected a finite rate >= 0");
        }
    }
}
