package aclip4j.tower;

import aclip4j.tensor.Tensor;
import java.util.Map;

/**
 * The text tower of SPEC §2, forward and backward, with weights under the goldens/README.md names
 * ({@code token_embedding.weight}, {@code positional_embedding}, {@code transformer.resblocks.{i}.…},
 * {@code ln_final.…}, {@code text_projection [W,E]}).
 */
public interface TextTower {
    /**
     * @param tokens [B,ctx] token ids; pooling takes the position of each row's largest id (EOT, §2)
     */
    Pass forward(Map<String, Tensor> weights, int[] tokens, int B);

    /** As {@link VisionTower#recycle}: gradient tensors of this tower's backward, given back for the next one. */
    default void recycle(Map<String, Tensor> grads) {}

    interface Pass {
        /** features [B,E]. */
        float[] features();

        /** Gradients of {@code sum(features * dFeatures)} for every weight, by name. */
        Map<String, Tensor> backward(float[] dFeatures);
    }
}
