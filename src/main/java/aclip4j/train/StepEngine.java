package aclip4j.train;

/**
 * What computes one optimiser step of {@link Trainer} (SPEC §7 EMA update, §1–§6 per micro-batch through
 * {@link AClipStep}'s algorithm, §8 AdamW, §6 logit-scale clamp), so the run loop, data, metrics and checkpoints
 * stay one code path: the host path ({@code Trainer}'s own, SIMD components on Java arrays) and the resident ND4J
 * engine ({@code aclip4j.train.nd4j.Nd4jStepEngine}, state kept as INDArrays for the whole run).
 */
public interface StepEngine {
    /** Micro-batch {@code a} of the current step ({@link aclip4j.train.Batches#make}). */
    interface MicroBatches {
        AClipStep.Batch get(int microBatch);
    }

    /**
     * What a step reports for its metrics row: loss terms averaged over the micro-batches, patch tokens each view
     * kept, the seconds spent in §5 selection, the clamped logit scale, and the first micro-batch with its kept
     * tokens (for {@code object_kept}; {@code firstKeep} null or holding nulls without masks).
     */
    record Outcome(double loss, double clipLoss, double sslLoss, double byolLoss, int keptTokens,
                   double maskingSeconds, float logitScale, AClipStep.Batch firstBatch, int[][] firstKeep) {}

    /**
     * Optimiser step {@code i} (0-based) at learning rate {@code lr} and EMA momentum {@code momentum}, over
     * {@code accum} micro-batches; refuses non-finite state, losses or gradients before anything is updated.
     */
    Outcome step(int i, double lr, double momentum, AClipStep.Settings settings, int accum, MicroBatches microBatches);

    /**
     * Writes any state held outside the model's tensors (online and EMA weights, BatchNorm buffers, AdamW moments)
     * back into them, before a checkpoint, an evaluation or a caller reads the model. Nothing to do on the host path.
     */
    default void syncToHost() {}
}
