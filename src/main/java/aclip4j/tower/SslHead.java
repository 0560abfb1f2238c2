package aclip4j.tower;

import aclip4j.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An SSL head of SPEC §6: an MLP with BatchNorm1d + ReLU after each hidden Linear, applied to {@code x [B,Din]}
 * (the vision tower's post-LN CLS token, or the BYOL projector's output for the predictor), giving
 * {@code out [B,Dout]}. Sizes come from {@link HeadsConfig}.
 *
 * <p>Parameter names are those of the official model's {@code state_dict}, relative to the head's module, so the
 * caller prefixes them with the module name ({@code image_mlp.}, {@code im_proj_byol.}, {@code im_pred_byol.},
 * and, for the EMA projector, {@code ema.im_proj_byol.}) and a PyTorch checkpoint loads directly:
 * <ul>
 *   <li>{@link Kind#SIMCLR} ({@code image_mlp}, SLIP's {@code _build_mlp}): {@code layer1.weight [Hs,D]},
 *       {@code layer1.bias [Hs]}, {@code bn1.weight [Hs]}, {@code bn1.bias [Hs]}, {@code bn1.running_mean [Hs]},
 *       {@code bn1.running_var [Hs]}, {@code layer2.weight [Hs,Hs]}, {@code layer2.bias}, {@code bn2.weight},
 *       {@code bn2.bias}, {@code bn2.running_mean}, {@code bn2.running_var}, {@code layer3.weight [Os,Hs]},
 *       {@code layer3.bias [Os]}; {@code Hs = simclrHidden}, {@code Os = simclrOut}.
 *       Computes {@code layer3(relu(bn2(layer2(relu(bn1(layer1(x)))))))}.</li>
 *   <li>{@link Kind#BYOL_PROJECTOR} ({@code im_proj_byol}, {@code nn.Sequential} indices): {@code 0.weight [Hb,D]}
 *       (no bias), {@code 1.weight [Hb]}, {@code 1.bias [Hb]}, {@code 1.running_mean [Hb]}, {@code 1.running_var [Hb]},
 *       {@code 3.weight [Ob,Hb]} (no bias); {@code Hb = byolHidden}, {@code Ob = byolOut}.
 *       Computes {@code L3(relu(bn1(L0(x))))}.</li>
 *   <li>{@link Kind#BYOL_PREDICTOR} ({@code im_pred_byol}): the same layout as the projector with input width
 *       {@code Ob}: {@code 0.weight [Hb,Ob]}, {@code 1.*}, {@code 3.weight [Ob,Hb]}. The official code builds it
 *       with the projector's builder, so it has no Linear biases either.</li>
 * </ul>
 * PyTorch's {@code num_batches_tracked} buffer is not kept: with a fixed momentum 0.1 it is never read.
 *
 * <p>BatchNorm1d (eps 1e-5): in training it normalises with the batch mean and the biased batch variance over the
 * {@code B} rows of this call (§6: "batch statistics over the whole global batch") and refreshes the running
 * statistics with momentum 0.1 and the <i>unbiased</i> variance, as PyTorch does; training needs {@code B >= 2}.
 * In evaluation it uses the running statistics.
 */
public interface SslHead {
    /** Which of the three heads of §6. */
    enum Kind { SIMCLR, BYOL_PROJECTOR, BYOL_PREDICTOR }

    /** BatchNorm1d's eps and running-statistics momentum (PyTorch's defaults, §6). */
    double BN_EPS = 1e-5, BN_MOMENTUM = 0.1;

    /** One Linear (with or without bias) and the BatchNorm prefix after it, or null for the output layer. */
    record Stage(String linear, boolean bias, String bn) {}

    /** A head's stages in order: each hidden Linear → BatchNorm1d → ReLU, then the output Linear (§6). */
    static List<Stage> stages(Kind kind) {
        return switch (kind) {
            case SIMCLR -> List.of(new Stage("layer1", true, "bn1"), new Stage("layer2", true, "bn2"),
                    new Stage("layer3", true, null));
            case BYOL_PROJECTOR, BYOL_PREDICTOR -> List.of(new Stage("0", false, "1"), new Stage("3", false, null));
        };
    }

    /** The head this object computes. */
    Kind kind();

    /** Its sizes. */
    HeadsConfig config();

    /**
     * @param weights  the head's parameters and BatchNorm buffers, by the names above (no module prefix)
     * @param x        [B,Din] input rows
     * @param training batch statistics (and running-stat refresh) when true, running statistics when false
     */
    Pass forward(Map<String, Tensor> weights, float[] x, int B, boolean training);

    /**
     * Weight gradients of this head's kind under {@code prefix} in {@code grads} that nothing reads any more: a head
     * may hand their arrays out again from a later backward (the SIMD head does; by default nothing happens).
     */
    default void recycle(Map<String, Tensor> grads, String prefix) {
    }

    /** One forward pass, kept so its backward can run. */
    interface Pass {
        /** out [B,Dout]. */
        float[] out();

        /**
         * The refreshed BatchNorm buffers ({@code *.running_mean}, {@code *.running_var}) after a training pass,
         * as new tensors (the weights given to {@code forward} are not modified); empty after an evaluation pass.
         */
        Map<String, Tensor> runningStats();

        /** Gradients of {@code sum(out * dOut)}: for the input and for every trainable parameter (no buffers). */
        Grads backward(float[] dOut);
    }

    /**
     * @param dInput  [B,Din] gradient for the head's input
     * @param weights gradients by parameter name, shapes equal to the parameters'
     */
    record Grads(float[] dInput, Map<String, Tensor> weights) {}

    /**
     * Every parameter and buffer of a head with its shape, in {@code state_dict} order. Buffers are the names
     * ending in {@code running_mean} / {@code running_var}.
     */
    static Map<String, int[]> shapes(Kind kind, HeadsConfig c) {
        Map<String, int[]> m = new LinkedHashMap<>();
        switch (kind) {
            case SIMCLR -> {
                int h = c.simclrHidden();
                m.put("layer1.weight", new int[] {h, c.inDim()});
                m.put("layer1.bias", new int[] {h});
                batchNorm(m, "bn1", h);
                m.put("layer2.weight", new int[] {h, h});
                m.put("layer2.bias", new int[] {h});
                batchNorm(m, "bn2", h);
                m.put("layer3.weight", new int[] {c.simclrOut(), h});
                m.put("layer3.bias", new int[] {c.simclrOut()});
            }
            case BYOL_PROJECTOR, BYOL_PREDICTOR -> {
                int h = c.byolHidden();
                m.put("0.weight", new int[] {h, c.inputWidth(kind)});
                batchNorm(m, "1", h);
                m.put("3.weight", new int[] {c.byolOut(), h});
            }
        }
        return m;
    }

    /** True for BatchNorm running statistics, which get no gradient and no optimiser step. */
    static boolean isBuffer(String name) {
        return name.endsWith("running_mean") || name.endsWith("running_var");
    }

    private static void batchNorm(Map<String, int[]> m, String prefix, int h) {
        m.put(prefix + ".weight", new int[] {h});
        m.put(prefix + ".bias", new int[] {h});
        m.put(prefix + ".running_mean", new int[] {h});
        m.put(prefix + ".running_var", new int[] {h});
    }
}
