package aclip4j.mask;

/**
 * The per-view score map of SPEC §5.1 (paper "shared EMA score map"): the EMA tower scores one enlarged box
 * {@code E} per image (§4.3); each online view box {@code v} inside the image reads its scores out of that map.
 *
 * <p>Official two-step resampling, all resizes as {@link BilinearResize}: {@code R = resize(M, h_e, w_e)} puts
 * the {@code Ge x Ge} map back into the EMA box's pixels; {@code C = R[top_v-top_e : +h_v, left_v-left_e : +w_v]}
 * crops the view's pixels, with 0 wherever the view leaves {@code R}; {@code Sv = resize(C, G, G)} brings it to
 * the view's patch grid.
 *
 * <p>Shapes: {@code scoreMap [B,Ge,Ge]}, boxes {@code [B,4]} as {@code (top, left, h, w)} in source pixels with
 * {@code h, w >= 1}, result {@code [B,G,G]}.
 */
public interface ViewScores {
    /**
     * @param scoreMap [B,Ge,Ge] the §3 score of the EMA view, one {@code Ge x Ge} map per image
     * @param emaBox   [B,4] the EMA box of each image
     * @param viewBox  [B,4] the online view box of each image
     * @param G        the view's patch grid side
     * @return [B,G,G]
     */
    float[] viewScores(float[] scoreMap, int B, int Ge, int[] emaBox, int[] viewBox, int G);
}
