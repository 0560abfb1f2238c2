package aclip4j.optim;

import aclip4j.kernel.Lanes;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link AdamW} in plain Java with the Vector API (SPEC §8). Elementwise: each lane does exactly the scalar
 * loop's operations (mul, add, sqrt, div; IEEE-rounded, never fused), so every width gives the scalar bits.
 */
public final class SimdAdamW implements AdamW {
    private final Lanes lanes;

    public SimdAdamW() {
        this(Lanes.preferred());
    }

    public SimdAdamW(Lanes lanes) {
        this.lanes = lanes;
    }

    /** param, expAvg, expAvgSq (P) updated in place; grad (P). */
    @Override
    public void step(float[] param, float[] grad, float[] expAvg, float[] expAvgSq, AdamWScalars s) {
        AdamW.checkLengths(param, grad, expAvg, expAvgSq);
        int n = param.length;
        int i = switch (lanes.bits()) {
            case 512 -> step512(param, grad, expAvg, expAvgSq, s);
            case 256 -> step256(param, grad, expAvg, expAvgSq, s);
            case 128 -> step128(param, grad, expAvg, expAvgSq, s);
            default -> 0;
        };
        stepScalar(param, grad, expAvg, expAvgSq, s, i, n);
    }

    /** The specification of the vector loop, for elements [from, to): PyTorch 1.13 AdamW, one op at a time. */
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

    // ---------------------------------------------------------------------------------------------------------
    // The vector loop once per width (C2 needs the species as a constant, see aclip4j.kernel.Vec; the copies differ
    // only in it). Each returns where the scalar loop takes over. Step by step, as the scalar loop:
    //   p = p * decay;  m = m * b1 + g * (1 - b1);  v = v * b2 + ((1 - b2) * g) * g;
    //   denom = sqrt(v) / sqrt(bc2) + eps;  p = p + (-stepSize * m) / denom

    private static int step512(float[] param, float[] grad, float[] expAvg, float[] expAvgSq, AdamWScalars s) {
        VectorSpecies<Float> S = FloatVector.SPECIES_512;
        int i = 0;
        for (int bound = S.loopBound(param.length); i < bound; i += S.length()) {
            FloatVector g = FloatVector.fromArray(S, grad, i);
            FloatVector p = FloatVector.fromArray(S, param, i).mul(s.decay());
            FloatVector m = FloatVector.fromArray(S, expAvg, i).mul(s.beta1()).add(g.mul(s.oneMinusBeta1()));
            FloatVector v = FloatVector.fromArray(S, expAvgSq, i).mul(s.beta2()).add(g.mul(s.oneMinusBeta2()).mul(g));
            FloatVector denom = v.sqrt().div(s.biasCorrection2Sqrt()).add(s.eps());
            p.add(m.mul(s.negStepSize()).div(denom)).intoArray(param, i);
            m.intoArray(expAvg, i);
            v.intoArray(expAvgSq, i);
        }
        return i;
    }

    private static int step256(float[] param, float[] grad, float[] expAvg, float[] expAvgSq, AdamWScalars s) {
        VectorSpecies<Float> S = FloatVector.SPECIES_256;
        int i = 0;
        for (int bound = S.loopBound(param.length); i < bound; i += S.length()) {
            FloatVector g = FloatVector.fromArray(S, grad, i);
            FloatVector p = FloatVector.fromArray(S, param, i).mul(s.decay());
            FloatVector m = FloatVector.fromArray(S, expAvg, i).mul(s.beta1()).add(g.mul(s.oneMinusBeta1()));
            FloatVector v = FloatVector.fromArray(S, expAvgSq, i).mul(s.beta2()).add(g.mul(s.oneMinusBeta2()).mul(g));
            FloatVector denom = v.sqrt().div(s.biasCorrection2Sqrt()).add(s.eps());
            p.add(m.mul(s.negStepSize()).div(denom)).intoArray(param, i);
            m.intoArray(expAvg, i);
            v.intoArray(expAvgSq, i);
        }
        return i;
    }

    private static int step128(float[] param, float[] grad, float[] expAvg, float[] expAvgSq, AdamWScalars s) {
        VectorSpecies<Float> S = FloatVector.SPECIES_128;
        int i = 0;
        for (int bound = S.loopBound(param.length); i < bound; i += S.length()) {
            FloatVector g = FloatVector.fromArray(S, grad, i);
            FloatVector p = FloatVector.fromArray(S, param, i).mul(s.decay());
            FloatVector m = FloatVector.fromArray(S, expAvg, i).mul(s.beta1()).add(g.mul(s.oneMinusBeta1()));
            FloatVector v = FloatVector.fromArray(S, expAvgSq, i).mul(s.beta2()).add(g.mul(s.oneMinusBeta2()).mul(g));
            FloatVector denom = v.sqrt().div(s.biasCorrection2Sqrt()).add(s.eps());
            p.add(m.mul(s.negStepSize()).div(denom)).intoArray(param, i);
            m.intoArray(expAvg, i);
            v.intoArray(expAvgSq, i);
        }
        return i;
    }
}
