package aclip4j.optim;

import static aclip4j.kernel.Lanes.LENGTH;
import static aclip4j.kernel.Lanes.SPECIES;

import aclip4j.kernel.Lanes;
import aclip4j.kernel.Parallel;
import jdk.incubator.vector.FloatVector;

/**
 * {@link AdamW} in plain Java with the Vector API (SPEC §8). Element-wise, so it follows docs/SPEC.md §13.1: each
 * element gets the same IEEE float32 operations in the vector loop (one loop over {@link Lanes#SPECIES}, the width
 * of this JVM) and in the scalar loop, which is the specification. The operation order, per element:
 * <pre>
 *   p     = param · decay
 *   m     = expAvg · β1 + grad · (1 − β1)
 *   v     = expAvgSq · β2 + ((1 − β2) · grad) · grad
 *   denom = sqrt(v) / sqrt(1 − β2^step) + ε
 *   param = p + (−stepSize · m) / denom;   expAvg = m;   expAvgSq = v
 * </pre>
 * each multiply, add, divide and square root rounded on its own: never a fused multiply-add, neither in the
 * vector loop nor in the scalar one. The square root is correctly rounded on both sides ({@code (float)
 * Math.sqrt(double)} of a float is the float32 square root), so every width gives the scalar bits.
 */
public final class SimdAdamW implements AdamW {
    private final Lanes lanes;

    public SimdAdamW() {
        this(Lanes.preferred());
    }

    public SimdAdamW(Lanes lanes) {
        this.lanes = lanes;
    }

    /**
     * Elements per {@link Parallel} task: the update is element-wise, so the ranges (and which thread takes which)
     * cannot change a bit; they only let both cores stream the four arrays (the 100 MB token embedding included).
     */
    static final int CHUNK = 1 << 16;

    /** param, expAvg, expAvgSq (P) updated in place; grad (P). */
    @Override
    public void step(float[] param, float[] grad, float[] expAvg, float[] expAvgSq, AdamWScalars s) {
        AdamW.checkLengths(param, grad, expAvg, expAvgSq);
        Parallel.forRanges(param.length, CHUNK, (from, to) -> stepRange(param, grad, expAvg, expAvgSq, s, from, to));
    }

    /** Elements [from, to): the vector loop over whole vectors from {@code from}, then the scalar tail. */
    private void stepRange(float[] param, float[] grad, float[] expAvg, float[] expAvgSq, AdamWScalars s, int from,
                           int to) {
        int i = from;
        if (!lanes.scalar()) {
            float decay = s.decay(), beta1 = s.beta1(), oneMinusBeta1 = s.oneMinusBeta1(), beta2 = s.beta2(),
                    oneMinusBeta2 = s.oneMinusBeta2(), bc2Sqrt = s.biasCorrection2Sqrt(),
                    negStepSize = s.negStepSize(), eps = s.eps();
            for (int bound = from + SPECIES.loopBound(to - from); i < bound; i += LENGTH) {
                FloatVector g = FloatVector.fromArray(SPECIES, grad, i);
                FloatVector p = FloatVector.fromArray(SPECIES, param, i).mul(decay);         // param * decay
                FloatVector m = FloatVector.fromArray(SPECIES, expAvg, i).mul(beta1)        // m * b1
                        .add(g.mul(oneMinusBeta1));                                         //   + g * (1-b1)
                FloatVector v = FloatVector.fromArray(SPECIES, expAvgSq, i).mul(beta2)      // v * b2
                        .add(g.mul(oneMinusBeta2).mul(g));                                  //   + ((1-b2)*g)*g
                FloatVector denom = v.sqrt().div(bc2Sqrt).add(eps);                         // sqrt(v)/bc2 + eps
                p.add(m.mul(negStepSize).div(denom)).intoArray(param, i);                   // p + (-ss*m)/denom
                m.intoArray(expAvg, i);
                v.intoArray(expAvgSq, i);
            }
        }
        stepScalar(param, grad, expAvg, expAvgSq, s, i, to);
    }

    /** The specification, for elements [from, to): PyTorch 1.13 AdamW, one rounded op at a time. */
    static void stepScalar(float[] param, float[] grad, float[] expAvg, float[] expAvgSq, AdamWScalars s,
                           int from, int to) {
        for (int i = from; i < to; i++) {
            float g = grad[i];
            float p = param[i] * s.decay();                                   // param.mul_(1 - lr*wd)
            float m = expAvg[i] * s.beta1() + g * s.oneMinusBeta1();          // mul_(b1).add_(g, alpha=1-b1)
            float v = expAvgSq[i] * s.beta2() + s.oneMinusBeta2() * g * g;    // mul_(b2).addcmul_(g, g, 1-b2)
            float denom = (float) Math.sqrt(v) / s.biasCorrection2Sqrt() + s.eps(); // sqrt(v)/sqrt(bc2) + eps
            param[i] = p + s.negStepSize() * m / denom;                       // addcdiv_(m, denom, -stepSize)
            expAvg[i] = m;
            expAvgSq[i] = v;
        }
    }

    public Lanes lanes() {
        return lanes;
    }
}
