package aclip4j.loss;

/**
 * One forward pass of a SPEC §6 loss, kept so its gradients can be taken (llm.c style: the forward saves what
 * the backward needs).
 *
 * @param <G> the gradients, one array per differentiable input, each shaped like that input
 */
public interface LossPass<G> {
    /** The scalar loss. */
    float loss();

    /**
     * Gradients of {@code dLoss * loss()} with respect to the differentiable inputs (fresh arrays; stop-gradient
     * inputs get none). {@code dLoss} is the upstream gradient: 1 for the loss alone, its weight inside a sum.
     */
    G backward(float dLoss);
}
