package aclip4j.tower;

import aclip4j.tensor.Tensor;
import java.util.Map;

/**
 * The vision tower of SPEC §1, forward and backward. Weights are PyTorch {@code state_dict} tensors under the
 * goldens/README.md names ({@code patch_embed.proj.weight [D,3,p,p]}, {@code cls_token [1,1,D]}, {@code pos_embed [1,T,D]},
 * {@code blocks.{i}.…}, {@code norm.…}, {@code image_projection [D,E]}).
 */
public interface VisionTower {
    /**
     * Runs the tower.
     *
     * @param weights   the tower's weights by name
     * @param images    [B,3,S,S] normalised pixels
     * @param keepIndex [B,K] ascending kept patch indices (0..N-1), or null to keep all N tokens (§1.3, §5.5)
     * @param withClsAttention also keep the CLS query's attention rows, what the §3 score is made of (unmasked only)
     * @param lastLayerOnly    keep them for the last block only (§3 option {@code layers=last})
     */
    Pass forward(Map<String, Tensor> weights, float[] images, int B, int[] keepIndex, int K,
                 boolean withClsAttention, boolean lastLayerOnly);

    /**
     * Gives back gradient tensors that a {@link Pass#backward} of this tower returned, once the caller no longer
     * reads or writes them (added into another step's sum, or used by the optimiser): a later backward may return
     * the same arrays, zeroed first, instead of allocating them. Only tensors under this tower's weight names and
     * shapes are taken; the rest of {@code grads} is ignored, so a whole step's map may be passed. Giving an array
     * back twice is refused. A no-op where a backend recycles nothing.
     */
    default void recycle(Map<String, Tensor> grads) {}

    /** One forward pass, kept so its backward can run. */
    interface Pass {
        /** features [B,E] = LN(x[CLS]) @ image_projection. */
        float[] features();

        /** cls [B,D]: the CLS token after the final LayerNorm, before the projection (the SSL heads' input, §6). */
        float[] cls();

        /**
         * clsAttention [L',B,H,T]: the softmax row of the CLS query in each block asked for ({@code L' = L}, or 1
         * with {@code lastLayerOnly}), every head, over all T keys; null when not requested. {@code mask/AttentionScore}
         * turns it into the §3 score.
         */
        float[] clsAttention();

        /**
         * Gradients of {@code sum(features * dFeatures) + sum(cls * dCls)} for every weight, by weight name
         * (dCls may be null for zero). Shapes equal the weights'. The tensors are new, the caller's to keep or change.
         */
        Map<String, Tensor> backward(float[] dFeatures, float[] dCls);

        /**
         * For a pass that runs no backward (the EMA tower's, an evaluation's): its saved activations may be reused
         * by the tower's next pass. {@link #features}, {@link #cls} and {@link #clsAttention} stay valid; a
         * backward after it is refused. A no-op where a backend recycles nothing.
         */
        default void release() {}
    }
}
