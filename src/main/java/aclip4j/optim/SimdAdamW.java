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
        int i = 0;
        if (!lanes.scalar()) {
            VectorSpecies<Float> species = lanes.species();
            FloatVector decay = FloatVector.broadcast(species, s.decay());
            FloatVector b1 = FloatVector.broadcast(species, s.beta1());
            FloatVector omb1 = FloatVector.broadcast(species, s.oneMinusBeta1());
            FloatVector b2 = FloatVector.broadcast(species, s.beta2());
            FloatVector omb2 = FloatVector.broadcast(species, s.oneMinusBeta2());
            FloatVector bc2 = FloatVector.broadcast(species, s.biasCorrection2Sqrt());
            FloatVector negStep = FloatVector.broadcast(species, s.negStepSize());
            FloatVector eps = FloatVector.broadcast(species, s.eps());
            for (int upper = lanes.loopBound(n); i < upper; i += species.length()) {
                FloatVector g = FloatVector.fromArray(species, grad, i);
                // p = p * decay
                FloatVector p = FloatVector.fromArray(species, param, i).mul(decay);
                // m = m * b1 + g * (1 - b1)
                FloatVector m = FloatVector.fromArray(species, expAvg, i).mul(b1).add(g.mul(omb1));
                // v = v * b2 + ((1 - b2) * g) * g
                FloatVector v = FloatVector.fromArray(species, expAvgSq, i).mul(b2).add(g.mul(omb2).mul(g));
                // denom = sqrt(v) / sqrt(bc2) + eps
                FloatVector denom = v.sqrt().div(bc2).add(eps);
                // p = p + (-stepSize * m) / denom
                p.add(m.mul(negStep).div(denom)).intoArray(param, i);
                m.intoArray(expAvg, i);
                v.intoArray(expAvgSq, i);
            }
        }
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
}
