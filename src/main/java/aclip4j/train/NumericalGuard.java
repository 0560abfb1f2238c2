package aclip4j.train;

import aclip4j.kernel.Bulk;
import aclip4j.kernel.Lanes;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The numerical guard's checks and messages, one for both step engines (the host path in {@link Trainer} and the
 * resident ND4J engine): a non-finite weight, loss term or gradient stops the run with the step, what went bad and
 * the first bad element, before the weights are updated, so the last checkpoint on disk is the last good state.
 */
public final class NumericalGuard {
    private NumericalGuard() {}

    /** A weight ({@code name} with its {@code ema.} prefix for an EMA copy) holding a NaN or infinity stops the run. */
    public static void checkWeight(int stepNumber, String name, float[] w, Path lastCheckpoint) {
        int j = Bulk.firstNonFinite(Lanes.preferred(), w);
        if (j >= 0) {
            throw new IllegalStateException("non-finite values at step " + stepNumber + ": weight " + name
                    + " (element " + j + " is " + w[j] + "). The last good checkpoint is " + lastCheckpoint
                    + " (resume with a lower --lr, or check the data)");
        }
    }

    /**
     * The first of {@code names}, in that order, whose gradient holds a NaN or infinity, as the message names it
     * ({@code the gradient of NAME (element j is v)}); null when all are finite. {@code gradient} may return null for
     * a name without one.
     */
    public static String firstBadGradient(Iterable<String> names, Function<String, float[]> gradient) {
        for (String name : names) {
            float[] g = gradient.apply(name);
            int j = g == null ? -1 : Bulk.firstNonFinite(Lanes.preferred(), g);
            if (j >= 0) {
                return "the gradient of " + name + " (element " + j + " is " + g[j] + ")";
            }
        }
        return null;
    }

    /**
     * After the micro-batches: a non-finite loss term, or {@code badGradient} (from {@link #firstBadGradient}, null
     * when every gradient is finite), stops the run before the optimiser step.
     */
    public static void checkStep(int stepNumber, double clip, double ssl, double byol, String badGradient,
                                 Path lastCheckpoint) {
        List<String> bad = new ArrayList<>();
        if (!Double.isFinite(clip)) bad.add("clip_loss " + clip);
        if (!Double.isFinite(ssl)) bad.add("ssl_loss " + ssl);
        if (!Double.isFinite(byol)) bad.add("byol_loss " + byol);
        if (bad.isEmpty() && badGradient == null) {
            return;
        }
        String what = (bad.isEmpty() ? "finite losses" : String.join(", ", bad))
                + (badGradient == null ? ", every gradient finite" : "; first bad tensor: " + badGradient);
        throw new IllegalStateException("non-finite values at step " + stepNumber + ": " + what + ". Stopped before "
                + "updating the weights; the last good checkpoint is " + lastCheckpoint
                + " (resume with a lower --lr, or check the data)");
    }
}
