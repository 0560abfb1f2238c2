package aclip4j.tower;

import aclip4j.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Initial weights drawn from an explicit seeded generator, following the official code's initialisers.
 * Draws happen tensor by tensor in {@link Weights} / {@link SslHead#shapes} order, element by element in
 * row-major order, so a seed pins every value. Normals come from Box–Muller over
 * {@link SplittableRandom#nextDouble()} (one normal per pair of uniforms), whose algorithm the JDK fixes.
 *
 * <ul>
 *   <li>Vision (timm 0.5.4 {@code _init_vit_weights}): Linear weights, {@code cls_token}, {@code pos_embed}
 *       truncated normal std 0.02 cut at ±2 std (timm cuts at ±2 absolute, which at std 0.02 never binds;
 *       ±2 std is the usual intent); Linear biases 0; LayerNorm 1 and 0. The patch embedding is a Conv2d that timm
 *       leaves at PyTorch's default: weight and bias uniform in ±1/sqrt(3*p*p). {@code image_projection} normal
 *       std D^-0.5 (CLIP's {@code initialize_parameters}).</li>
 *   <li>Text (OpenAI CLIP {@code initialize_parameters}): token embedding normal std 0.02, positional std 0.01;
 *       {@code in_proj_weight} std W^-0.5, {@code out_proj.weight} and {@code c_proj.weight}
 *       std W^-0.5 (2L)^-0.5, {@code c_fc.weight} std (2W)^-0.5, {@code text_projection} std W^-0.5;
 *       LayerNorm 1 and 0. Biases are 0 (PyTorch's MultiheadAttention zeros its own; the MLP biases, which
 *       CLIP leaves at the uniform default, are zeroed here too).</li>
 *   <li>SSL heads: PyTorch's Linear default, weight and bias uniform in ±1/sqrt(fan_in), as the official
 *       heads are built; BatchNorm weight 1, bias 0, running mean 0, running variance 1.</li>
 * </ul>
 */
public final class Init {
    private Init() {}

    /** Vision tower weights for {@code c}. */
    public static Map<String, Tensor> vision(VisionConfig c, SplittableRandom rng) {
        int D = c.width(), fanPatch = 3 * c.patch() * c.patch();
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : Weights.visionShapes(c).entrySet()) {
            String n = e.getKey();
            int[] s = e.getValue();
            float[] v;
            if (n.startsWith("patch_embed.")) {
                v = uniform(rng, s, 1.0 / Math.sqrt(fanPatch));
            } else if (n.equals(Weights.IMAGE_PROJECTION)) {
                v = normal(rng, s, Math.pow(D, -0.5));
            } else if (n.contains("norm") && n.endsWith(".weight")) {
                v = fill(s, 1f);
            } else if (n.endsWith(".bias")) {
                v = fill(s, 0f);
            } else {
                v = truncNormal(rng, s, 0.02);
            }
            m.put(n, Tensor.f32(v, s));
        }
        return m;
    }

    /** Text tower weights for {@code c}. */
    public static Map<String, Tensor> text(TextConfig c, SplittableRandom rng) {
        int W = c.width();
        double attnStd = Math.pow(W, -0.5), projStd = attnStd * Math.pow(2.0 * c.depth(), -0.5),
                fcStd = Math.pow(2.0 * W, -0.5);
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : Weights.textShapes(c).entrySet()) {
            String n = e.getKey();
            int[] s = e.getValue();
            float[] v;
            if (n.equals(Weights.TOKEN_EMBEDDING)) {
                v = normal(rng, s, 0.02);
            } else if (n.equals(Weights.POSITIONAL_EMBEDDING)) {
                v = normal(rng, s, 0.01);
            } else if (n.equals(Weights.TEXT_PROJECTION)) {
                v = normal(rng, s, attnStd);
            } else if (n.endsWith("in_proj_weight")) {
                v = normal(rng, s, attnStd);
            } else if (n.endsWith("out_proj.weight") || n.endsWith("c_proj.weight")) {
                v = normal(rng, s, projStd);
            } else if (n.endsWith("c_fc.weight")) {
                v = normal(rng, s, fcStd);
            } else if (n.contains("ln_") && n.endsWith(".weight")) {
                v = fill(s, 1f);
            } else {
                v = fill(s, 0f); // biases
            }
            m.put(n, Tensor.f32(v, s));
        }
        return m;
    }

    /** SSL head parameters and buffers for {@code kind}. */
    public static Map<String, Tensor> head(SslHead.Kind kind, HeadsConfig c, SplittableRandom rng) {
        Map<String, int[]> shapes = SslHead.shapes(kind, c);
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : shapes.entrySet()) {
            String n = e.getKey();
            int[] s = e.getValue();
            String module = n.substring(0, n.lastIndexOf('.'));
            boolean batchNorm = shapes.containsKey(module + ".running_mean");
            float[] v;
            if (batchNorm) {
                v = fill(s, n.endsWith(".weight") || n.endsWith("running_var") ? 1f : 0f);
            } else {
                int fanIn = shapes.get(module + ".weight")[1];
                v = uniform(rng, s, 1.0 / Math.sqrt(fanIn));
            }
            m.put(n, Tensor.f32(v, s));
        }
        return m;
    }

    private static float[] fill(int[] shape, float value) {
        float[] v = new float[(int) Tensor.numel(shape)];
        java.util.Arrays.fill(v, value);
        return v;
    }

    private static float[] uniform(SplittableRandom rng, int[] shape, double bound) {
        float[] v = new float[(int) Tensor.numel(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((2.0 * rng.nextDouble() - 1.0) * bound);
        }
        return v;
    }

    private static float[] normal(SplittableRandom rng, int[] shape, double std) {
        float[] v = new float[(int) Tensor.numel(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (gaussian(rng) * std);
        }
        return v;
    }

    /** Normal std {@code std} redrawn until within ±2 std. */
    private static float[] truncNormal(SplittableRandom rng, int[] shape, double std) {
        float[] v = new float[(int) Tensor.numel(shape)];
        for (int i = 0; i < v.length; i++) {
            double z;
            do {
                z = gaussian(rng);
            } while (Math.abs(z) > 2.0);
            v[i] = (float) (z * std);
        }
        return v;
    }

    /** A standard normal by Box–Muller; 1 - u keeps the logarithm's argument in (0,1]. */
    static double gaussian(SplittableRandom rng) {
        double u1 = 1.0 - rng.nextDouble(), u2 = rng.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }
}
