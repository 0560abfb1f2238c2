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

    /** Every vision tower weight (timm ViT plus {@code image_projection [D,E]}), in state_dict order. */
    public static Map<String, int[]> visionShapes(VisionConfig c) {
        int D = c.width(), p = c.patch(), T = c.tokens() + 1, hidden = c.mlpRatio() * D;
        Map<String, int[]> m = new LinkedHashMap<>();
        m.put("cls_token", new int[] {1, 1, D});
        m.put("pos_embed", new int[] {1, T, D});
        m.put("patch_embed.proj.weight", new int[] {D, 3, p, p});
        m.put("patch_embed.proj.bias", new int[] {D});
        for (int i = 0; i < c.depth(); i++) {
            String b = "blocks." + i + ".";
            m.put(b + "norm1.weight", new int[] {D});
            m.put(b + "norm1.bias", new int[] {D});
            m.put(b + "attn.qkv.weight", new int[] {3 * D, D});
            m.put(b + "attn.qkv.bias", new int[] {3 * D});
            m.put(b + "attn.proj.weight", new int[] {D, D});
            m.put(b + "attn.proj.bias", new int[] {D});
            m.put(b + "norm2.weight", new int[] {D});
            m.put(b + "norm2.bias", new int[] {D});
            m.put(b + "mlp.fc1.weight", new int[] {hidden, D});
            m.put(b + "mlp.fc1.bias", new int[] {hidden});
            m.put(b + "mlp.fc2.weight", new int[] {D, hidden});
            m.put(b + "mlp.fc2.bias", new int[] {D});
        }
        m.put("norm.weight", new int[] {D});
        m.put("norm.bias", new int[] {D});
        m.put("image_projection", new int[] {D, c.embed()});
        return m;
    }

    /** Every text tower weight (OpenAI CLIP), in state_dict order; the MLP is 4W wide. */
    public static Map<String, int[]> textShapes(TextConfig c) {
        int W = c.width();
        Map<String, int[]> m = new LinkedHashMap<>();
        m.put("positional_embedding", new int[] {c.context(), W});
        m.put("text_projection", new int[] {W, c.embed()});
        m.put("token_embedding.weight", new int[] {c.vocab(), W});
        for (int i = 0; i < c.depth(); i++) {
            String b = "transformer.resblocks." + i + ".";
            m.put(b + "attn.in_proj_weight", new int[] {3 * W, W});
            m.put(b + "attn.in_proj_bias", new int[] {3 * W});
            m.put(b + "attn.out_proj.weight", new int[] {W, W});
            m.put(b + "attn.out_proj.bias", new int[] {W});
            m.put(b + "ln_1.weight", new int[] {W});
            m.put(b + "ln_1.bias", new int[] {W});
            m.put(b + "mlp.c_fc.weight", new int[] {4 * W, W});
            m.put(b + "mlp.c_fc.bias", new int[] {4 * W});
            m.put(b + "mlp.c_proj.weight", new int[] {W, 4 * W});
            m.put(b + "mlp.c_proj.bias", new int[] {W});
            m.put(b + "ln_2.weight", new int[] {W});
            m.put(b + "ln_2.bias", new int[] {W});
        }
        m.put("ln_final.weight", new int[] {W});
        m.put("ln_final.bias", new int[] {W});
        return m;
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
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : shapes.entrySet()) {
            if (keep.test(e.getKey())) {
                m.put(e.getKey(), Tensor.f32(new float[(int) Tensor.numel(e.getValue())], e.getValue()));
            }
        }
        return m;
    }
}
