package aclip4j.tower;

/**
 * Named tower and head sizes. {@code tiny} is for fast CPU education runs: 64-pixel views with 8-pixel patches give
 * an 8×8 grid (N = 64), so a 16-pixel mask cell is r = 2 patches per side and a 4×4 cell grid, the same r as the
 * paper's 32-pixel cells on 16-pixel patches (§0). The others are the paper's (§10): {@code vit-s16} is the official
 * A-CLIP ViT-S/16 (384 wide, 12 blocks, 12 heads of 32); {@code vit-s16-timm} is timm's ViT-S/16 with 6 heads of 64.
 */
public final class Presets {
    private Presets() {}

    /** CLIP's BPE vocabulary size (§2). */
    public static final int CLIP_VOCAB = 49408;

    /** {@code tiny}, {@code vit-s16}, {@code vit-s16-timm}, {@code vit-b16}. */
    public static VisionConfig vision(String name) {
        return switch (name) {
            case "tiny" -> new VisionConfig(64, 8, 64, 2, 4, 64, 4);
            case "vit-s16" -> new VisionConfig(224, 16, 384, 12, 12, 512, 4);
            case "vit-s16-timm" -> new VisionConfig(224, 16, 384, 12, 6, 512, 4);
            case "vit-b16" -> new VisionConfig(224, 16, 768, 12, 12, 512, 4);
            default -> throw new IllegalArgumentException("unknown vision preset '" + name
                    + "', expected tiny, vit-s16, vit-s16-timm or vit-b16");
        };
    }

    /** {@code tiny} or {@code clip-base} with CLIP's vocabulary. */
    public static TextConfig text(String name) {
        return text(name, CLIP_VOCAB);
    }

    /** {@code tiny} (W 64, 2 blocks, 4 heads, context 32, E 64) or {@code clip-base}, with the given vocabulary. */
    public static TextConfig text(String name, int vocab) {
        return switch (name) {
            case "tiny" -> new TextConfig(vocab, 32, 64, 2, 4, 64);
            case "clip-base" -> new TextConfig(vocab, 77, 512, 12, 8, 512);
            default -> throw new IllegalArgumentException("unknown text preset '" + name + "', expected tiny or clip-base");
        };
    }

    /** {@code tiny} (hidden 256, out 64) or {@code paper} (4096, 256) heads over a tower of width inDim. */
    public static HeadsConfig heads(String name, int inDim) {
        return switch (name) {
            case "tiny" -> new HeadsConfig(inDim, 256, 64, 256, 64);
            case "paper" -> HeadsConfig.paper(inDim);
            default -> throw new IllegalArgumentException("unknown heads preset '" + name + "', expected tiny or paper");
        };
    }
}
