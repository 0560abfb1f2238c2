package aclip4j.tower;

/**
 * The vision tower (timm ViT, SPEC §1).
 *
 * @param imageSize view resolution S in pixels (224 in the paper)
 * @param patch     ViT patch size p in pixels (16)
 * @param width     token width D
 * @param depth     number of blocks L
 * @param heads     attention heads H (hs = D / H)
 * @param embed     joint embedding size E (image_projection is D x E)
 * @param mlpRatio  MLP hidden size over D (4)
 */
public record VisionConfig(int imageSize, int patch, int width, int depth, int heads, int embed, int mlpRatio) {
    public VisionConfig {
        if (imageSize <= 0 || patch <= 0 || imageSize % patch != 0) {
            throw new IllegalArgumentException("image size " + imageSize + " must be a positive multiple of the patch " + patch);
        }
        if (width <= 0 || heads <= 0 || width % heads != 0) {
            throw new IllegalArgumentException("width " + width + " must be a positive multiple of heads " + heads);
        }
        if (depth < 0 || embed <= 0 || mlpRatio <= 0) {
            throw new IllegalArgumentException("bad vision config: depth " + depth + ", embed " + embed + ", mlpRatio " + mlpRatio);
        }
    }

    /** Patch grid side G = S / p. */
    public int grid() {
        return imageSize / patch;
    }

    /** Patch tokens N = G * G. */
    public int tokens() {
        return grid() * grid();
    }

    public int headSize() {
        return width / heads;
    }

    /** The same tower at another view resolution (A-CLIP-eff's EMA view, §1.7). */
    public VisionConfig withImageSize(int size) {
        return new VisionConfig(size, patch, width, depth, heads, embed, mlpRatio);
    }
}
