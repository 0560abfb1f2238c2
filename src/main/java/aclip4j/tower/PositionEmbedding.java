package aclip4j.tower;

import aclip4j.tensor.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * §1.7 position embeddings at another view resolution (A-CLIP-eff's half-size EMA view), a plain function of the
 * weights that both twins' towers use: the weights are resampled once, then given to a tower of that size.
 */
public final class PositionEmbedding {
    private PositionEmbedding() {}

    /**
     * §1.7: position embeddings for another view resolution. {@code pos [1,1+G*G,D]} → {@code [1,1+Ge*Ge,D]}:
     * the G×G grid resampled bilinearly (align_corners=false, no antialias, the §5.1 sampling rule, float32),
     * the CLS position unchanged.
     */
    public static Tensor resamplePosEmbed(Tensor pos, int Ge) {
        if (pos.rank() != 3 || pos.dim(0) != 1) {
            throw new IllegalArgumentException("pos_embed has shape " + Arrays.toString(pos.shape()) + ", expected [1,1+G*G,D]");
        }
        int T = pos.dim(1), D = pos.dim(2);
        int G = (int) Math.round(Math.sqrt(T - 1));
        if (G * G != T - 1 || Ge <= 0) {
            throw new IllegalArgumentException("pos_embed has " + T + " positions, expected 1 + G*G; target grid " + Ge);
        }
        float[] src = pos.floats();
        float[] out = new float[(1 + Ge * Ge) * D];
        System.arraycopy(src, 0, out, 0, D);
        float scale = (float) G / Ge;
        for (int oy = 0; oy < Ge; oy++) {
            float sy = Math.max(0f, (oy + 0.5f) * scale - 0.5f);
            int y0 = (int) sy, y1 = Math.min(y0 + 1, G - 1);
            float ly = sy - y0;
            for (int ox = 0; ox < Ge; ox++) {
                float sx = Math.max(0f, (ox + 0.5f) * scale - 0.5f);
                int x0 = (int) sx, x1 = Math.min(x0 + 1, G - 1);
                float lx = sx - x0;
                int a = (1 + y0 * G + x0) * D, b = (1 + y0 * G + x1) * D, c = (1 + y1 * G + x0) * D,
                        d = (1 + y1 * G + x1) * D, o = (1 + oy * Ge + ox) * D;
                for (int k = 0; k < D; k++) {
                    out[o + k] = (1 - ly) * ((1 - lx) * src[a + k] + lx * src[b + k])
                            + ly * ((1 - lx) * src[c + k] + lx * src[d + k]);
                }
            }
        }
        return Tensor.f32(out, 1, 1 + Ge * Ge, D);
    }

    /**
     * The weights for a tower at view size {@code imageSize} (§1.7, A-CLIP-eff's EMA view): the same tensors with
     * {@code pos_embed} resampled; use with either twin's tower built for {@code cfg.withImageSize(imageSize)}.
     */
    public static Map<String, Tensor> atResolution(Map<String, Tensor> weights, VisionConfig cfg, int imageSize) {
        VisionConfig target = cfg.withImageSize(imageSize);
        Map<String, Tensor> m = new LinkedHashMap<>(weights);
        m.put(Weights.POS_EMBED, resamplePosEmbed(weights.get(Weights.POS_EMBED), target.grid()));
        return m;
    }
}
