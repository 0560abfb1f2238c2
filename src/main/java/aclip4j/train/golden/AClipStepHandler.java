package aclip4j.train.golden;

import aclip4j.Backend;
import aclip4j.golden.ComponentHandler;
import aclip4j.golden.GoldenCase;
import aclip4j.tensor.Tensor;
import aclip4j.kernel.Lanes;
import aclip4j.mask.AttentionScore;
import aclip4j.mask.TokenSelector;
import aclip4j.optim.AdamWOptimizer;
import aclip4j.optim.WeightDecayRule;
import aclip4j.tower.HeadsConfig;
import aclip4j.tower.TextConfig;
import aclip4j.tower.VisionConfig;
import aclip4j.train.AClipStep;
import aclip4j.train.Components;
import aclip4j.train.Model;
import aclip4j.train.Trainer;
import aclip4j.train.Variant;
import com.google.gson.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Golden {@code aclip_step} (layout: reference/README.md "aclip_step layout"): one whole A-CLIP optimiser step
 * of a tiny model from explicit weights, views, boxes, noise and optimiser moments — the EMA update
 * ({@link Trainer#updateEma}), {@link AClipStep#run}, AdamW with the trainer's weight-decay rule and the
 * logit-scale clamp, exactly as {@link Trainer} runs them.
 */
public final class AClipStepHandler implements ComponentHandler {
    @Override
    public String component() {
        return "aclip_step";
    }

    @Override
    public Map<String, Tensor> compute(GoldenCase golden, Backend backend) {
        JsonObject p = golden.params();
        JsonObject vj = p.getAsJsonObject("vision");
        JsonObject tj = p.getAsJsonObject("text");
        JsonObject hj = p.getAsJsonObject("heads");
        VisionConfig v = new VisionConfig(vj.get("image_size").getAsInt(), vj.get("patch").getAsInt(),
                vj.get("width").getAsInt(), vj.get("depth").getAsInt(), vj.get("heads").getAsInt(),
                vj.get("embed").getAsInt(), 4);
        TextConfig t = new TextConfig(tj.get("vocab").getAsInt(), tj.get("context").getAsInt(), tj.get("width").getAsInt(),
                tj.get("depth").getAsInt(), tj.get("heads").getAsInt(), tj.get("embed").getAsInt());
        HeadsConfig h = new HeadsConfig(v.width(), hj.get("simclr_hidden").getAsInt(), hj.get("simclr_out").getAsInt(),
                hj.get("byol_hidden").getAsInt(), hj.get("byol_out").getAsInt());
        Variant variant = Variant.parse(golden.paramString("variant"));
        int V = golden.paramInt("views");
        int Se = golden.paramInt("ema_image_size", v.imageSize());
        String strategy = golden.paramString("strategy");
        AClipStep.Settings settings = new AClipStep.Settings(variant, V, golden.paramInt("cell"),
                golden.paramInt("keep_cells"),
                strategy.equals("none") ? TokenSelector.Strategy.DROP_LOW : TokenSelector.Strategy.parse(strategy),
                golden.paramInt("mixed_top_cells", 0), AttentionScore.Layers.parse(golden.paramString("score_layers", "all")),
                aclip4j.train.Ssl.parse(golden.paramString("ssl", "none")), golden.paramBool("byol", false),
                golden.paramDouble("temperature", aclip4j.train.TrainConfig.SIMCLR_TEMPERATURE),
                golden.paramBool("simclr_same_view", false), golden.paramDouble("w_ssl", 1), golden.paramDouble("w_byol", 2),
                golden.paramBool("freeze_patch_embed", false), Se, golden.paramBool("bn_per_view", false));

        Map<String, Tensor> online = group(golden, "in.w.");
        Map<String, Tensor> ema = group(golden, "in.ema.");
        Model model = new Model(v, t, h, online, ema);
        model.validate();
        Components c = Components.of(backend, v, Se, t, h, Lanes.preferred());

        // 1. EMA update (§7) from the pre-step online weights
        Trainer.updateEma(c, model, golden.paramDouble("momentum", 1.0));

        // 2–9. the micro-batch forward and backward
        int S = v.imageSize();
        Tensor viewsT = golden.input("views").requireRank("in.views", 5);
        int B = viewsT.dim(1);
        viewsT.requireShape("in.views", V, B, 3, S, S);
        float[][] views = split(viewsT.floats(), V);
        int g = v.grid() / settings.patchesPerCell();
        float[][] noise = golden.hasInput("noise")
                ? split(golden.input("noise").requireShape("in.noise", V, B, g, g).floats(), V) : new float[V][B * g * g];
        float[] emaView = golden.hasInput("ema_view")
                ? golden.input("ema_view").requireShape("in.ema_view", B, 3, Se, Se).floats() : null;
        int[] viewBoxes = golden.hasInput("view_boxes")
                ? golden.input("view_boxes").requireShape("in.view_boxes", B, V, 4).ints() : new int[B * V * 4];
        int[] emaBox = golden.hasInput("ema_box")
                ? golden.input("ema_box").requireShape("in.ema_box", B, 4).ints() : new int[B * 4];
        int[] tokens = golden.input("tokens").requireShape("in.tokens", B, t.context()).ints();
        AClipStep.Result r = AClipStep.run(c, model, settings,
                new AClipStep.Batch(B, views, emaView, viewBoxes, emaBox, tokens, noise));
        online.putAll(r.buffers());

        // 10. AdamW with the given moments as state; this update is number `step`
        AdamWOptimizer opt = new AdamWOptimizer(c.adamW(), golden.paramDouble("beta1"), golden.paramDouble("beta2"),
                golden.paramDouble("eps"), golden.paramDouble("weight_decay"), WeightDecayRule::decays);
        int step = golden.paramInt("step");
        Map<String, Tensor> m1 = group(golden, "in.exp_avg.");
        Map<String, Tensor> m2 = group(golden, "in.exp_avg_sq.");
        m1.forEach((name, m) -> opt.restore(name, step - 1, m, m2.get(name)));
        opt.step(Trainer.trainable(online), r.grads(), golden.paramDouble("lr"));
        // 11. clamp
        Trainer.clampLogitScale(online);

        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("out.loss", Tensor.scalar(r.loss()));
        out.put("out.clip_loss", Tensor.scalar(r.clipLoss()));
        out.put("out.ssl_loss", Tensor.scalar(r.sslLoss()));
        out.put("out.byol_loss", Tensor.scalar(r.byolLoss()));
        if (variant.masks()) {
            int kept = r.keptTokens();
            int[] keep = new int[V * B * kept];
            for (int i = 0; i < V; i++) {
                System.arraycopy(r.keepIndex()[i], 0, keep, i * B * kept, B * kept);
            }
            out.put("out.keep_index", Tensor.i32(keep, V, B, kept));
        }
        online.forEach((k, x) -> out.put("out.w." + k, x));
        ema.forEach((k, x) -> out.put("out.ema." + k, x));
        opt.state().forEach((k, mo) -> {
            out.put("out.exp_avg." + k, mo.expAvg());
            out.put("out.exp_avg_sq." + k, mo.expAvgSq());
        });
        return out;
    }

    /** Tensors under a prefix, prefix removed, deep-copied (the step works in place). */
    private static Map<String, Tensor> group(GoldenCase golden, String prefix) {
        return Model.deepCopy(Model.sub(golden.tensors(), prefix));
    }

    private static float[][] split(float[] all, int parts) {
        int n = all.length / parts;
        float[][] out = new float[parts][];
        for (int i = 0; i < parts; i++) {
            out[i] = java.util.Arrays.copyOfRange(all, i * n, (i + 1) * n);
        }
        return out;
    }
}
