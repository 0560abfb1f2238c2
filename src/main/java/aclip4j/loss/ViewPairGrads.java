package aclip4j.loss;

/**
 * Gradients of a loss between two views of the SSL head (SPEC §6): {@code first} for view 1 ({@code a} in SimCLR,
 * {@code p1} in SimSiam), {@code second} for view 2 ({@code b}, {@code p2}); both [B,D].
 */
public record ViewPairGrads(float[] first, float[] second) {}
