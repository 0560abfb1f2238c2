package aclip4j.tower;

import aclip4j.tensor.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The weight names and shapes of the towers (goldens/README.md "Weight names", PyTorch {@code state_dict} order), and the
 * checks both implementations run on a weight map. SSL head names are in {@link SslHead#shapes}.
 */
public final class Weights {
    private Weights() {}

    /** Vision tower weights outside the blocks (timm ViT, plus the CLIP image projection). */
    public static final String CLS_TOKEN = "cls_token", POS_EMBED = "pos_embed",
            PATCH_WEIGHT = "patch_embed.proj.weight", PATCH_BIAS = "patch_embed.proj.bias",
            NORM_WEIGHT = "norm.weight", NORM_BIAS = "norm.bias", IMAGE_PROJECTION = "image_projection";
    /** Text tower weights outside the blocks (OpenAI CLIP). */
    public static final String TOKEN_EMBEDDING = "token_embedding.weight", POSITIONAL_EMBEDDING = "positional_embedding",
            LN_FINAL_WEIGHT = "ln_final.weight", LN_FINAL_BIAS = "ln_final.bias", TEXT_PROJECTION = "text_projection";
    /** The name prefixes of the two towers' blocks. */
    public static final String VISION_BLOCKS = "blocks.", TEXT_BLOCKS = "transformer.resblocks.";

    /** The state_dict names of one transformer block's twelve parameters. */
    public record BlockNames(String ln1w, String ln1b, String qkvW, String qkvB, String projW, String projB,
                             String ln2w, String ln2b, String fcW, String fcB, String fc2W, String fc2B) {
        /** timm ViT block {@code l}. */
        public static BlockNames vision(int l) {
            String b = VISION_BLOCKS + l + ".";
            return new BlockNames(b + "norm1.weight", b + "norm1.bias", b + "attn.qkv.weight", b + "attn.qkv.bias",
                    b + "attn.proj.weight", b + "attn.proj.bias", b + "norm2.weight", b + "norm2.bias",
                    b + "mlp.fc1.weight", b + "mlp.fc1.bias", b + "mlp.fc2.weight", b + "mlp.fc2.bias");
        }

        /** OpenAI CLIP text block {@code l}. */
        public static BlockNames text(int l) {
            String b = TEXT_BLOCKS + l + ".";
            return new BlockNames(b + "ln_1.weight", b + "ln_1.bias", b + "attn.in_proj_weight", b + "attn.in_proj_bias",
                    b + "attn.out_proj.weight", b + "attn.out_proj.bias", b + "ln_2.weight", b + "ln_2.bias",
                    b + "mlp.c_fc.weight", b + "mlp.c_fc.bias", b + "mlp.c_proj.weight", b + "mlp.c_proj.bias");
        }
    }

    /** Every vision tower weight (timm ViT plus {@code image_projection [D,E]}), in state_dict order. */
    public static Map<String, int[]> visionShapes(VisionConfig c) {
        int D = c.width(), p = c.patch(), T = c.tokens() + 1, hidden = c.mlpRatio() * D;
        Map<String, int[]> m = new LinkedHashMap<>();
        m.put(CLS_TOKEN, new int[] {1, 1, D});
        m.put(POS_EMBED, new int[] {1, T, D});
        m.put(PATCH_WEIGHT, new int[] {D, 3, p, p});
        m.put(PATCH_BIAS, new int[] {D});
        for (int i = 0; i < c.depth(); i++) {
            BlockNames n = BlockNames.vision(i);
            m.put(n.ln1w(), new int[] {D});
            m.put(n.ln1b(), new int[] {D});
            m.put(n.qkvW(), new int[] {3 * D, D});
            m.put(n.qkvB(), new int[] {3 * D});
            m.put(n.projW(), new int[] {D, D});
            m.put(n.projB(), new int[] {D});
            m.put(n.ln2w(), new int[] {D});
            m.put(n.ln2b(), new int[] {D});
            m.put(n.fcW(), new int[] {hidden, D});
            m.put(n.fcB(), new int[] {hidden});
            m.put(n.fc2W(), new int[] {D, hidden});
            m.put(n.fc2B(), new int[] {D});
        }
        m.put(NORM_WEIGHT, new int[] {D});
        m.put(NORM_BIAS, new int[] {D});
        m.put(IMAGE_PROJECTION, new int[] {D, c.embed()});
        return m;
    }

    /** Every text tower weight (OpenAI CLIP), in state_dict order; the MLP is 4W wide. */
    public static Map<String, int[]> textShapes(TextConfig c) {
        int W = c.width();
        Map<String, int[]> m = new LinkedHashMap<>();
        m.put(POSITIONAL_EMBEDDING, new int[] {c.context(), W});
        m.put(TEXT_PROJECTION, new int[] {W, c.embed()});
        m.put(TOKEN_EMBEDDING, new int[] {c.vocab(), W});
        for (int i = 0; i < c.depth(); i++) {
            BlockNames n = BlockNames.text(i); // the state_dict order of a CLIP block: attention first
            m.put(n.qkvW(), new int[] {3 * W, W});
            m.put(n.qkvB(), new int[] {3 * W});
            m.put(n.projW(), new int[] {W, W});
            m.put(n.projB(), new int[] {W});
            m.put(n.ln1w(), new int[] {W});
            m.put(n.ln1b(), new int[] {W});
            m.put(n.fcW(), new int[] {4 * W, W});
            m.put(n.fcB(), new int[] {4 * W});
            m.put(n.fc2W(), new int[] {W, 4 * W});
            m.put(n.fc2B(), new int[] {W});
            m.put(n.ln2w(), new int[] {W});
            m.put(n.ln2b(), new int[] {W});
        }
        m.put(LN_FINAL_WEIGHT, new int[] {W});
        m.put(LN_FINAL_BIAS, new int[] {W});
        return m;
    }

    /** Whether {@code name} is a vision tower weight. */
    public static boolean isVision(String name) {
        return name.startsWith("patch_embed.") || name.equals(CLS_TOKEN) || name.equals(POS_EMBED)
                || name.startsWith(VISION_BLOCKS) || name.startsWith("norm.") || name.equals(IMAGE_PROJECTION);
    }

    /**
     * The F32 data of weight {@code name}, refusing a missing tensor, another dtype or a shape other than
     * {@code shape}.
     */
    public static float[] require(Map<String, Tensor> weights, String name, int[] shape) {
        Tensor t = weights.get(name);
        if (t == null) {
            throw new IllegalArgumentException("missing weight " + name + " " + Arrays.toString(shape));
        }
        t.requireShape("weight " + name, shape);
        if (t.dtype() != aclip4j.tensor.DType.F32) {
            throw new IllegalArgumentException("weight " + name + " is " + t.dtype() + ", expected F32");
        }
        return t.floats();
    }

    /** Zero gradients (F32) for every name in {@code shapes} that {@code keep} accepts, in the same order. */
    public static Map<String, Tensor> zeros(Map<String, int[]> shapes, java.util.function.Predicate<String> keep) {
        return zeros(shapes, keep, float[]::new);
    }

    /** As {@link #zeros(Map, java.util.function.Predicate)}, each array from {@code zeroed} (length → zeros). */
    static Map<String, Tensor> zeros(Map<String, int[]> shapes, java.util.function.Predicate<String> keep,
                                     java.util.function.IntFunction<float[]> zeroed) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : shapes.entrySet()) {
            if (keep.test(e.getKey())) {
                m.put(e.getKey(), Tensor.f32(zeroed.apply((int) Tensor.numel(e.getValue())), e.getValue()));
            }
        }
        return m;
    }

    /**
     * Gives {@code pool} the arrays of {@code grads} under the names of {@code shapes} with those shapes' lengths
     * (a tower's {@code recycle}); others are left alone.
     */
    static void recycle(ActivationPool pool, Map<String, int[]> shapes, Map<String, Tensor> grads) {
        recycle(pool, shapes, grads, "");
    }

    /** As {@link #recycle(ActivationPool, Map, Map)}, for the names {@code prefix + name} in {@code grads}. */
    static void recycle(ActivationPool pool, Map<String, int[]> shapes, Map<String, Tensor> grads, String prefix) {
        for (Map.Entry<String, int[]> e : shapes.entrySet()) {
            Tensor t = grads.get(prefix + e.getKey());
            if (t != null && t.floats().length == Tensor.numel(e.getValue())) {
                pool.give(t.floats());
            }
        }
    }
}
