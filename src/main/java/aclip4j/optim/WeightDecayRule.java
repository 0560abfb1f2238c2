package aclip4j.optim;

import java.util.Locale;

/**
 * Which parameters get weight decay (SPEC §8): none for tensors of rank below 2, for biases, and for LayerNorm or
 * BatchNorm parameters; every other tensor (linear and projection weights, embeddings, position embeddings, the
 * CLS token) decays.
 *
 * <p>The name tests, on the PyTorch {@code state_dict} names of goldens/README.md: a bias is a name whose last
 * {@code '.'}-separated segment is {@code bias} or ends in {@code _bias} ({@code in_proj_bias}); a normalisation
 * parameter is a name with a segment that contains {@code norm} ({@code norm1}, {@code norm}, {@code layernorm}),
 * starts with {@code ln_} or is {@code ln} ({@code ln_1}, {@code ln_final}), or starts with {@code bn}
 * ({@code bn}, {@code bn1}). Matching whole segments rather than substrings keeps names such as
 * {@code kernel.weight} from being caught by {@code ln}. In this project's towers every LayerNorm and BatchNorm
 * parameter and every bias is rank 1, so the rank test alone already exempts them (a BatchNorm inside a
 * {@code Sequential} is named only by its index); the name tests keep the rule true for other layouts.
 */
public final class WeightDecayRule {
    private WeightDecayRule() {}

    /** True when the parameter {@code name} of rank {@code rank} receives weight decay. */
    public static boolean decays(String name, int rank) {
        return rank >= 2 && !isBias(name) && !isNorm(name);
    }

    /** The weight decay for this parameter: {@code weightDecay}, or 0 when {@link #decays} says no. */
    public static double weightDecayFor(String name, int rank, double weightDecay) {
        return decays(name, rank) ? weightDecay : 0.0;
    }

    static boolean isBias(String name) {
        String[] segments = name.split("\\.");
        String last = segments[segments.length - 1].toLowerCase(Locale.ROOT);
        return last.equals("bias") || last.endsWith("_bias");
    }

    static boolean isNorm(String name) {
        for (String segment : name.toLowerCase(Locale.ROOT).split("\\.")) {
            if (segment.contains("norm") || segment.equals("ln") || segment.startsWith("ln_")
                    || segment.startsWith("bn")) {
                return true;
            }
        }
        return false;
    }
}
