package aclip4j.optim;

import aclip4j.nd.Nd;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * {@link AdamW} with ND4J ops (SPEC §8): one op per PyTorch kernel call, in PyTorch's order, float32 scalars.
 */
public final class Nd4jAdamW implements AdamW {

    /** param, expAvg, expAvgSq (P) updated in place; grad (P). */
    @Override
    public void step(float[] param, float[] grad, float[] expAvg, float[] expAvgSq, AdamWScalars s) {
        AdamW.checkLengths(param, grad, expAvg, expAvgSq);
        int n = param.length;
        if (n == 0) {
            return;
        }
        INDArray p = Nd.f32(param, n);
        INDArray m = Nd.f32(expAvg, n);
        INDArray v = Nd.f32(expAvgSq, n);
        step(p, Nd.f32(grad, n), m, v, s);
        System.arraycopy(Nd.floats(p), 0, param, 0, n);
        System.arraycopy(Nd.floats(m), 0, expAvg, 0, n);
        System.arraycopy(Nd.floats(v), 0, expAvgSq, 0, n);
    }

    /** The same step on ND4J-resident float32 arrays of one shape, in place on param, expAvg and expAvgSq. */
    public void step(INDArray param, INDArray grad, INDArray expAvg, INDArray expAvgSq, AdamWScalars s) {
        for (INDArray a : new INDArray[] {grad, expAvg, expAvgSq}) {
            if (!a.equalShapes(param)) {
                throw new IllegalArgumentException("AdamW arrays differ in shape: param "
                        + Arrays.toString(param.shape()) + ", got " + Arrays.toString(a.shape()));
            }
        }
        for (INDArray a : new INDArray[] {param, grad, expAvg, expAvgSq}) {
            if (a.dataType() != DataType.FLOAT) {
                throw new IllegalArgumentException("AdamW needs float32 arrays, got " + a.dataType());
            }
        }
        param.muli(s.decay());
        expAvg.muli(s.beta1()).addi(grad.mul(s.oneMinusBeta1()));
        expAvgSq.muli(s.beta2()).addi(grad.mul(s.oneMinusBeta2()).muli(grad));
        INDArray denom = Transforms.sqrt(expAvgSq, true).divi(s.biasCorrection2Sqrt()).addi(s.eps());
        param.addi(expAvg.mul(s.negStepSize()).divi(denom));
    }
}
