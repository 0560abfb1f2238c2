package aclip4j.tower;

/**
 * Sizes of the SSL heads of SPEC §6 (official values: {@code D→4096→4096→256} for SimCLR,
 * {@code D→4096→256} for the BYOL projector and {@code 256→4096→256} for the BYOL predictor).
 *
 * @param inDim        input width: the vision tower's D (the heads read the post-LN CLS token, §6)
 * @param simclrHidden SimCLR MLP hidden width (4096)
 * @param simclrOut    SimCLR MLP output width (256)
 * @param byolHidden   BYOL projector and predictor hidden width (4096)
 * @param byolOut      BYOL projector output width, also the predictor's input and output width (256)
 */
public record HeadsConfig(int inDim, int simclrHidden, int simclrOut, int byolHidden, int byolOut) {
    public HeadsConfig {
        if (inDim <= 0 || simclrHidden <= 0 || simclrOut <= 0 || byolHidden <= 0 || byolOut <= 0) {
            throw new IllegalArgumentException("head sizes must be positive, got inDim " + inDim + ", simclr "
                    + simclrHidden + "/" + simclrOut + ", byol " + byolHidden + "/" + byolOut);
        }
    }

    /** The official sizes for a tower of width D. */
    public static HeadsConfig paper(int inDim) {
        return new HeadsConfig(inDim, 4096, 256, 4096, 256);
    }

    /** Input width of the given head. */
    public int inputWidth(SslHead.Kind kind) {
        return kind == SslHead.Kind.BYOL_PREDICTOR ? byolOut : inDim;
    }

    /** Output width of the given head. */
    public int outputWidth(SslHead.Kind kind) {
        return kind == SslHead.Kind.SIMCLR ? simclrOut : byolOut;
    }
}
