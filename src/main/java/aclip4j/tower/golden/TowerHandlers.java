package aclip4j.tower.golden;

import aclip4j.twins.Twins;
import aclip4j.Backend;
import aclip4j.golden.ComponentHandler;
import aclip4j.golden.GoldenCase;
import aclip4j.tensor.Tensor;
import aclip4j.tower.TextConfig;
import aclip4j.tower.TextTower;
import aclip4j.tower.VisionConfig;
import aclip4j.tower.VisionTower;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Golden handlers {@code vit_forward} (SPEC §1, §3) and {@code text_forward} (§2): load the {@code w.*} weights, run
 * the tower (masked when {@code keep_index} is given), and return the features, the §3 scores (unmasked vision
 * cases) and the gradients of {@code sum(features * probe)} for every weight as {@code grad.w.<name>}.
 */
public final class TowerHandlers {
    private TowerHandlers() {}

    /** The {@code in.w.*} tensors, prefix removed. */
    static Map<String, Tensor> weights(GoldenCase golden) {
        Map<String, Tensor> w = new LinkedHashMap<>();
        golden.tensors().forEach((k, v) -> {
            if (k.startsWith("in.w.")) {
                w.put(k.substring("in.w.".length()), v);
            }
        });
        if (w.isEmpty()) {
            throw new IllegalArgumentException(golden.file() + ": no in.w.* weight tensors");
        }
        return w;
    }

    static void putGrads(Map<String, Tensor> out, Map<String, Tensor> grads) {
        grads.forEach((k, v) -> out.put("out.grad.w." + k, v));
    }

    /** Golden component {@code vit_forward}. */
    public static final class Vit implements ComponentHandler {
        @Override
        public String component() {
            return "vit_forward";
        }

        @Override
        public Map<String, Tensor> compute(GoldenCase golden, Backend backend) {
            Tensor images = golden.input("images").requireRank("in.images", 4);
            int B = images.dim(0);
            int S = golden.paramInt("image_size", images.dim(2));
            VisionConfig cfg = new VisionConfig(S, golden.paramInt("patch"), golden.paramInt("width"),
                    golden.paramInt("depth"), golden.paramInt("heads"), golden.paramInt("embed"), 4);
            images.requireShape("in.images", B, 3, S, S);
            int[] keep = null;
            int K = 0;
            if (golden.hasInput("keep_index")) {
                Tensor k = golden.input("keep_index").requireRank("in.keep_index", 2);
                K = k.dim(1);
                k.requireShape("in.keep_index", B, K);
                keep = k.ints();
            }
            boolean last = golden.paramString("layers", "all").equals("last");
            boolean withScores = keep == null && golden.outputs().containsKey("out.scores");
            Twins twins = Twins.of(backend);
            VisionTower tower = twins.vision(cfg);
            VisionTower.Pass pass = tower.forward(weights(golden), images.floats(), B, keep, K, withScores, last);
            Tensor probe = golden.input("probe").requireShape("in.probe", B, cfg.embed());
            Map<String, Tensor> out = new LinkedHashMap<>();
            out.put("out.features", Tensor.f32(pass.features(), B, cfg.embed()));
            if (withScores) {
                float[] scores = twins.attentionScore().fromTowerRows(pass.clsAttention(), B, cfg.heads(),
                        cfg.tokens() + 1); // §3 through mask/AttentionScore, as training takes it
                out.put("out.scores", Tensor.f32(scores, B, cfg.tokens()));
            }
            putGrads(out, pass.backward(probe.floats(), null));
            return out;
        }
    }

    /** Golden component {@code text_forward}. */
    public static final class Text implements ComponentHandler {
        @Override
        public String component() {
            return "text_forward";
        }

        @Override
        public Map<String, Tensor> compute(GoldenCase golden, Backend backend) {
            Tensor tokens = golden.input("tokens").requireRank("in.tokens", 2);
            int B = tokens.dim(0);
            TextConfig cfg = new TextConfig(golden.paramInt("vocab"), golden.paramInt("context"),
                    golden.paramInt("width"), golden.paramInt("depth"), golden.paramInt("heads"),
                    golden.paramInt("embed"));
            tokens.requireShape("in.tokens", B, cfg.context());
            TextTower tower = Twins.of(backend).text(cfg);
            TextTower.Pass pass = tower.forward(weights(golden), tokens.ints(), B);
            Tensor probe = golden.input("probe").requireShape("in.probe", B, cfg.embed());
            Map<String, Tensor> out = new LinkedHashMap<>();
            out.put("out.features", Tensor.f32(pass.features(), B, cfg.embed()));
            putGrads(out, pass.backward(probe.floats()));
            return out;
        }
    }
}
