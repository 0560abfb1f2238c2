package aclip4j.loss;

/**
 * The total A-CLIP loss of SPEC §6: {@code L = L_clip + w_ssl * L_ssl + w_byol * L_byol} (official weights 1 and 2),
 * and its gradients: each term's backward runs with its weight as the upstream gradient.
 */
public final class TotalLoss {
    private TotalLoss() {}

    /** The weights of the two self-supervised terms; {@link #DEFAULTS} are the official code's. */
    public record Weights(double ssl, double byol) {
        public static final Weights DEFAULTS = new Weights(1.0, 2.0);

        public Weights {
            LossChecks.requireFinite("w_ssl", ssl);
            LossChecks.requireFinite("w_byol", byol);
        }
    }

    /**
     * The combined loss, its three terms (unweighted; 0 for an absent term) and the gradients of {@code loss}:
     * {@code clip} for the CLIP inputs, {@code ssl} for the SSL views (whatever the SSL pass's backward returns:
     * {@link ViewPairGrads} for one pair of views, one array per view for {@link ViewPairs}; null without an SSL
     * term), {@code byol} for the BYOL predictions [V*B,D] (null without a BYOL term).
     */
    public record Result<G>(float loss, float clipLoss, float sslLoss, float byolLoss,
                            ClipLoss.Grads clip, G ssl, float[] byol) {}

    /**
     * @param clip the CLIP pass (required)
     * @param ssl  a SimCLR or SimSiam pass, or null for variants without one
     * @param byol a BYOL pass, or null for variants without one
     */
    public static <G> Result<G> combine(ClipLoss.Pass clip, LossPass<G> ssl, LossPass<float[]> byol, Weights w) {
        if (clip == null) {
            throw new IllegalArgumentException("clip pass is null, expected the CLIP loss of SPEC §6");
        }
        float clipLoss = clip.loss();
        float sslLoss = ssl == null ? 0f : ssl.loss();
        float byolLoss = byol == null ? 0f : byol.loss();
        double total = clipLoss + w.ssl() * sslLoss + w.byol() * byolLoss;
        return new Result<>((float) total, clipLoss, sslLoss, byolLoss,
                clip.backward(1f),
                ssl == null ? null : ssl.backward((float) w.ssl()),
                byol == null ? null : byol.backward((float) w.byol()));
    }
}
