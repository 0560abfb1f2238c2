package aclip4j.loss;

import aclip4j.nd.Nd;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link ClipLoss} with ND4J: the SPEC §6 formula built as a SameDiff graph, gradients by SameDiff's autodiff,
 * so they are derived independently of {@link SimdClipLoss}'s hand-written backward.
 */
public final class Nd4jClipLoss implements ClipLoss {
    @Override
    public Pass forward(float[] imageEmbed, float[] textEmbed, float logitScale, int V, int B, int E) {
        ClipLoss.validate(imageEmbed, textEmbed, logitScale, V, B, E);

        SameDiff sd = SameDiff.create();
        SDVariable image = sd.var("image_embed", Nd.f32(imageEmbed, V * B, E));
        SDVariable text = sd.var("text_embed", Nd.f32(textEmbed, B, E));
        SDVariable t = sd.var("logit_scale", Nd4j.scalar(logitScale));
        define(sd, image, text, t, V, B, E, "");
        OutAndGrad result = SameDiffLosses.run(sd, sd.getVariable("loss"), List.of("loss", "loss_per_view"),
                "image_embed", "text_embed", "logit_scale");
        Map<String, INDArray> out = result.getOutputs();
        Map<String, INDArray> grads = result.getGradients();
        float lossValue = out.get("loss").getFloat(0);
        float[] perViewValues = Nd.floats(out.get("loss_per_view"));
        INDArray gImage = grads.get("image_embed");
        INDArray gText = grads.get("text_embed");
        float gScale = grads.get("logit_scale").getFloat(0);
        return new Pass() {
            @Override
            public float loss() {
                return lossValue;
            }

            @Override
            public float[] lossPerView() {
                return perViewValues.clone();
            }

            @Override
            public Grads backward(float dLoss) {
                return new Grads(Nd.floats(gImage.mul(dLoss)), Nd.floats(gText.mul(dLoss)), gScale * dLoss);
            }
        };
    }

    /**
     * The §6 CLIP loss in {@code sd}: {@code image [V*B,E]} (view-major), {@code text [B,E]}, {@code t} the log logit
     * scale (scalar); defines {@code prefix + "loss_per_view"} (V) and returns {@code prefix + "loss"}, their mean.
     * Shared with the resident training engine ({@code aclip4j.train.nd4j}).
     */
    public static SDVariable define(SameDiff sd, SDVariable image, SDVariable text, SDVariable t, int V, int B, int E,
                                    String prefix) {
        SDVariable img = SameDiffLosses.normalizeRows(sd, image, V * B, E);
        SDVariable txt = SameDiffLosses.normalizeRows(sd, text, B, E);
        SDVariable scale = sd.math.exp(t);
        SDVariable[] perView = new SDVariable[V];
        for (int v = 0; v < V; v++) {
            SDVariable iv = SameDiffLosses.rows(sd, img, V * B, E, v * B, B);              // (B,E)
            SDVariable logits = SameDiffLosses.matmul(sd, iv, txt, true, B, E, B).mul(scale); // (B,B)
            SDVariable logpImage = SameDiffLosses.logSoftmaxRows(sd, logits, B, B);
            SDVariable logpText = SameDiffLosses.logSoftmaxRows(sd, sd.transpose(logits), B, B);
            SDVariable ceImage = SameDiffLosses.crossEntropyDiag(sd, logpImage, B, B);
            SDVariable ceText = SameDiffLosses.crossEntropyDiag(sd, logpText, B, B);
            perView[v] = ceImage.add(ceText).div(2.0).reshape(1);
        }
        SDVariable lossPerView = sd.concat(prefix + "loss_per_view", 0, perView); // (V)
        return sd.mean(prefix + "loss", lossPerView);
    }
}
