package aclip4j.optim;

/**
 * The float32 scalars of one AdamW step, computed once in double as PyTorch 1.13's single-tensor AdamW computes
 * them in Python, then rounded to float32 where PyTorch hands them to a float32 kernel (SPEC §8).
 *
 * @param decay               {@code 1 − lr·wd}, the decoupled weight-decay factor on the parameter
 * @param beta1               {@code β1}, the factor on the old first moment
 * @param oneMinusBeta1       {@code 1 − β1}, the factor on the gradient
 * @param beta2               {@code β2}, the factor on the old second moment
 * @param oneMinusBeta2       {@code 1 − β2}, the factor on the squared gradient
 * @param biasCorrection2Sqrt {@code sqrt(1 − β2^step)}
 * @param negStepSize         {@code −lr/(1 − β1^step)}
 * @param eps                 {@code ε}, added to the bias-corrected root of the second moment
 */
public record AdamWScalars(float decay, float beta1, float oneMinusBeta1, float beta2, float oneMinusBeta2,
                           float biasCorrection2Sqrt, float negStepSize, float eps) {

    /**
     * The scalars for the 1-based step {@code step} (the count after this update, as in {@code 1 − β^step}).
     * Refuses negative or non-finite rates, betas outside {@code [0, 1)}, a negative eps and steps below 1.
     */
    public static AdamWScalars of(double lr, double beta1, double beta2, double eps, double weightDecay, long step) {
        check("lr", lr);
        check("eps", eps);
        check("weight_decay", weightDecay);
        checkBeta("beta1", beta1);
        checkBeta("beta2", beta2);
        if (step < 1) {
            throw new IllegalArgumentException("AdamW step " + step + ", expected a 1-based step count >= 1");
        }
        double biasCorrection1 = 1 - StrictMath.pow(beta1, step);
        double biasCorrection2 = 1 - StrictMath.pow(beta2, step);
        double stepSize = lr / biasCorrection1;
        double biasCorrection2Sqrt = Math.sqrt(biasCorrection2);
        return new AdamWScalars((float) (1 - lr * weightDecay), (float) beta1, (float) (1 - beta1),
                (float) beta2, (float) (1 - beta2), (float) biasCorrection2Sqrt, (float) -stepSize, (float) eps);
    }

    private static void check(String name, double value) {
        if (!(value >= 0.0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException("AdamW " + name + " = " + value + ", expected a finite value >= 0");
        }
    }

    private static void checkBeta(String name, double value) {
        if (!(value >= 0.0 && value < 1.0)) {
            throw new IllegalArgumentException("AdamW " + name + " = " + value + ", expected a value in [0, 1)");
        }
    }
}
