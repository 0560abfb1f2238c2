package aclip4j.loss.golden;

import aclip4j.twins.Twins;
import aclip4j.Backend;
import aclip4j.golden.ComponentHandler;
import aclip4j.golden.GoldenCase;
import aclip4j.tensor.Tensor;
import aclip4j.loss.ClipLoss;
import aclip4j.loss.LossChecks;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** Golden component {@code clip_loss} (goldens/README.md, SPEC §6): loss, per-view losses and all three gradients. */
public final class ClipLossHandler implements ComponentHandler {
    @Override
    public String component() {
        return "clip_loss";
    }

    @Override
    public Map<String, Tensor> compute(GoldenCase golden, Backend backend) {
        Tensor text = golden.input("text_embed").requireRank("in.text_embed", 2);
        int B = text.dim(0);
        int E = text.dim(1);
        Tensor image = golden.input("image_embed").requireRank("in.image_embed", 2);
        if (image.dim(1) != E) {
            throw new IllegalArgumentException("in.image_embed has shape " + Arrays.toString(image.shape())
                    + ", expected [V*B," + E + "] to match in.text_embed's E = " + E);
        }
        int V = LossChecks.viewsOf("in.image_embed", image.dim(0), B);
        Tensor t = golden.input("logit_scale");
        if (t.numel() != 1) {
            throw new IllegalArgumentException("in.logit_scale has shape " + Arrays.toString(t.shape())
                    + ", expected a scalar []");
        }
        ClipLoss impl = Twins.of(backend).clipLoss();
        ClipLoss.Pass pass = impl.forward(image.toFloats(), text.toFloats(), (float) t.getDouble(0), V, B, E);
        ClipLoss.Grads g = pass.backward(1f);
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("out.loss", Tensor.scalar(pass.loss()));
        out.put("out.loss_per_view", Tensor.f32(pass.lossPerView(), V));
        out.put("out.grad_image_embed", Tensor.f32(g.imageEmbed(), V * B, E));
        out.put("out.grad_text_embed", Tensor.f32(g.textEmbed(), B, E));
        out.put("out.grad_logit_scale", Tensor.scalar(g.logitScale()));
        return out;
    }
}
