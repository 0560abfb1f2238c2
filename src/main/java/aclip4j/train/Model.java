package aclip4j.train;

import aclip4j.tensor.Tensor;
import aclip4j.tower.HeadsConfig;
import aclip4j.tower.Init;
import aclip4j.tower.SslHead;
import aclip4j.tower.TextConfig;
import aclip4j.tower.VisionConfig;
import aclip4j.tower.Weights;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The trainable state of an A-CLIP model under PyTorch {@code state_dict} names (goldens/README.md "Weight names"):
 * {@code online} holds the vision tower, the text tower, {@code logit_scale} and the SSL heads
 * ({@code image_mlp.} SimCLR MLP, {@code image_pred.} SimSiam predictor, {@code im_proj_byol.} / {@code im_pred_byol.}
 * BYOL projector and predictor); {@code ema} holds the EMA copies of SPEC §7 under the same names (vision tower,
 * text blocks and projection, BYOL projector), empty for variants without an EMA tower.
 */
public final class Model {
    public static final String SIMCLR = "image_mlp.";
    public static final String SIMSIAM_PRED = "image_pred.";
    public static final String BYOL_PROJ = "im_proj_byol.";
    public static final String BYOL_PRED = "im_pred_byol.";
    public static final String LOGIT_SCALE = "logit_scale";
    /** §6: the logit scale starts at ln(1/0.07) and is clamped to [0, ln 100]. */
    public static final float LOGIT_SCALE_INIT = (float) Math.log(1 / 0.07);
    public static final float LOGIT_SCALE_MAX = (float) Math.log(100);

    public final VisionConfig vision;
    public final TextConfig text;
    public final HeadsConfig heads;
    public final Map<String, Tensor> online;
    public final Map<String, Tensor> ema;

    public Model(VisionConfig vision, TextConfig text, HeadsConfig heads, Map<String, Tensor> online,
                 Map<String, Tensor> ema) {
        this.vision = vision;
        this.text = text;
        this.heads = heads;
        this.online = online;
        this.ema = ema;
    }

    /** Which heads and copies a run needs. */
    public record Parts(boolean simclr, boolean simsiam, boolean byol, boolean ema) {}

    /** Fresh weights from one seeded generator, drawn in a fixed order (§7: EMA copies start equal to online). */
    public static Model init(VisionConfig v, TextConfig t, HeadsConfig h, Parts parts, SplittableRandom rng) {
        Map<String, Tensor> online = new LinkedHashMap<>();
        online.putAll(Init.vision(v, rng));
        online.putAll(Init.text(t, rng));
        online.put(LOGIT_SCALE, Tensor.scalar(LOGIT_SCALE_INIT));
        if (parts.simclr() || parts.simsiam()) {
            putPrefixed(online, SIMCLR, Init.head(SslHead.Kind.SIMCLR, h, rng));
        }
        if (parts.simsiam()) {
            if (h.simclrOut() != h.byolOut()) {
                throw new IllegalArgumentException("the SimSiam predictor maps the SimCLR MLP output (" + h.simclrOut()
                        + ") to itself with the BYOL predictor's shape: needs simclrOut == byolOut (" + h.byolOut() + ")");
            }
            putPrefixed(online, SIMSIAM_PRED, Init.head(SslHead.Kind.BYOL_PREDICTOR, h, rng));
        }
        if (parts.byol()) {
            putPrefixed(online, BYOL_PROJ, Init.head(SslHead.Kind.BYOL_PROJECTOR, h, rng));
            putPrefixed(online, BYOL_PRED, Init.head(SslHead.Kind.BYOL_PREDICTOR, h, rng));
        }
        Map<String, Tensor> ema = new LinkedHashMap<>();
        if (parts.ema()) {
            online.forEach((name, value) -> {
                if (hasEmaCopy(name)) {
                    ema.put(name, copy(value));
                }
            });
        }
        return new Model(v, t, h, online, ema);
    }

    /**
     * §7: the EMA copies are the vision tower, the text transformer blocks, the text projection and the BYOL
     * projector; token and position embeddings and the final text LayerNorm are shared with the online model.
     */
    public static boolean hasEmaCopy(String name) {
        if (name.startsWith(BYOL_PROJ)) {
            return true;
        }
        if (name.startsWith(Weights.TEXT_BLOCKS) || name.equals(Weights.TEXT_PROJECTION)) {
            return true;
        }
        return Weights.isVision(name);
    }

    /** The towers used for evaluation (§7, §11): EMA vision and text blocks over the shared embeddings, or online. */
    public Map<String, Tensor> evalWeights(boolean useEma) {
        if (!useEma || ema.isEmpty()) {
            return online;
        }
        Map<String, Tensor> m = new LinkedHashMap<>(online);
        ema.forEach((k, v) -> {
            if (!k.startsWith(BYOL_PROJ)) {
                m.put(k, v);
            }
        });
        return m;
    }

    /** The tensors under {@code prefix}, prefix removed (no copy of the data). */
    public static Map<String, Tensor> sub(Map<String, Tensor> all, String prefix) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        all.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                m.put(k.substring(prefix.length()), v);
            }
        });
        return m;
    }

    public static void putPrefixed(Map<String, Tensor> into, String prefix, Map<String, Tensor> values) {
        values.forEach((k, v) -> into.put(prefix + k, v));
    }

    public static Tensor copy(Tensor t) {
        switch (t.dtype()) {
            case F32: return Tensor.f32(t.floats().clone(), t.shape());
            case F64: return Tensor.f64(t.doubles().clone(), t.shape());
            case I32: return Tensor.i32(t.ints().clone(), t.shape());
            default: return Tensor.u8(t.bytes().clone(), t.shape());
        }
    }

    public static Map<String, Tensor> deepCopy(Map<String, Tensor> m) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, copy(v)));
        return out;
    }

    /** Checks that every tower weight is present with its configured shape. */
    public void validate() {
        Weights.visionShapes(vision).forEach((n, s) -> Weights.require(online, n, s));
        Weights.textShapes(text).forEach((n, s) -> Weights.require(online, n, s));
        if (!online.containsKey(LOGIT_SCALE)) {
            throw new IllegalArgumentException("model has no '" + LOGIT_SCALE + "'");
        }
    }
}
