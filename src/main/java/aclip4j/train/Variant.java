package aclip4j.train;

import java.util.Locale;

/**
 * The rows of the paper SPEC §10 asks for. Each fixes whether an EMA tower exists, how tokens are chosen and which
 * auxiliary losses run; {@code --views}, {@code --keep}, {@code --strategy}, {@code --ssl}, {@code --byol} refine them.
 */
public enum Variant {
    /** Plain CLIP: one view, every token kept, no EMA, no auxiliary loss. */
    CLIP("clip", 1, false, false, false),
    /** FLIP-style: masked views with tokens kept at random, no EMA. */
    CLIP_RANDOM("clip-random", 2, false, false, false),
    /** A-CLIP attentive masking only: EMA score map, no SSL/BYOL (Table 3 ablation row). */
    ACLIP_ATTN("aclip-attn", 2, true, false, false),
    /** A-CLIP: attentive masking, SimCLR (or SimSiam) between views and BYOL to the EMA tower. */
    ACLIP("aclip", 2, true, true, true),
    /** A-CLIP-eff: as A-CLIP with the EMA view at half resolution (Se = S/2, Table 1). */
    ACLIP_EFF("aclip-eff", 2, true, true, true);

    public final String label;
    public final int defaultViews;
    public final boolean ema;
    public final boolean defaultSsl;
    public final boolean defaultByol;

    Variant(String label, int defaultViews, boolean ema, boolean defaultSsl, boolean defaultByol) {
        this.label = label;
        this.defaultViews = defaultViews;
        this.ema = ema;
        this.defaultSsl = defaultSsl;
        this.defaultByol = defaultByol;
    }

    public static Variant parse(String s) {
        String key = s.trim().toLowerCase(Locale.ROOT);
        for (Variant v : values()) {
            if (v.label.equals(key)) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown variant '" + s
                + "', expected clip, clip-random, aclip-attn, aclip or aclip-eff");
    }

    /** Whether tokens are dropped at all (CLIP keeps every token). */
    public boolean masks() {
        return this != CLIP;
    }

    @Override
    public String toString() {
        return label;
    }
}
