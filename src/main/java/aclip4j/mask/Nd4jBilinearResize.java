package aclip4j.mask;

import aclip4j.nd.Nd;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * {@link BilinearResize} with ND4J ops (SPEC §5.1): each axis becomes an interpolation matrix with two non-zero
 * weights per row, {@code (1-λ)} at {@code i0} and {@code λ} at {@code i1}, built by comparing the column index
 * with {@code i0} and {@code i1}; the resize is then {@code y[p] = Wy @ x[p] @ Wx^T}, x first and y second like
 * the §5.1 formula. The other terms of the matrix products are exact zeros, so only the rounding of the two-term
 * sums can differ from the SIMD twin.
 */
public final class Nd4jBilinearResize implements BilinearResize {
    @Override
    public float[] resize(float[] x, int P, int inH, int inW, int outH, int outW) {
        Checks.atLeast(1, "P, inH, inW, outH, outW", P, inH, inW, outH, outW);
        Checks.length("resize input", x.length, "[P,inH,inW]", P, inH, inW);
        Checks.finite("resize input", x);
        return Nd.floats(resize(Nd.f32(x, P, inH, inW), outH, outW));
    }

    /** x (P,inH,inW) -> (P,outH,outW) as an INDArray, for callers that stay in ND4J. */
    public static INDArray resize(INDArray x, int outH, int outW) {
        int P = (int) x.size(0);
        int inH = (int) x.size(1);
        int inW = (int) x.size(2);
        INDArray wx = weights(inW, outW);                                                    // (outW,inW)
        INDArray wy = weights(inH, outH);                                                    // (outH,inH)
        INDArray alongX = x.dup('c').reshape('c', (long) P * inH, inW).mmul(wx.transpose()); // (P*inH,outW)
        INDArray rowsFirst = alongX.reshape('c', P, inH, outW).permute(1, 0, 2).dup('c')
                .reshape('c', inH, (long) P * outW);                                           // (inH,P*outW)
        INDArray alongY = wy.mmul(rowsFirst);                                                // (outH,P*outW)
        return alongY.reshape('c', outH, P, outW).permute(1, 0, 2).dup('c');                 // (P,outH,outW)
    }

    /** The (out,in) matrix of one axis: row d holds 1-λ at column i0 and λ at column i1 (§5.1). */
    static INDArray weights(int in, int out) {
        if (in < 1 || out < 1) {
            throw new IllegalArgumentException("resize sizes must be >= 1, got in=" + in + " out=" + out);
        }
        float scale = (float) in / out;
        INDArray d = Nd4j.arange(out).castTo(DataType.FLOAT);
        INDArray src = Transforms.max(d.addi(0.5f).muli(scale).subi(0.5f), 0f, false);    // (out)
        INDArray i0 = Transforms.min(Transforms.floor(src, true), (double) (in - 1), false);
        INDArray i1 = Transforms.min(i0.add(1f), (double) (in - 1), false);
        INDArray lambda = src.sub(i0);
        INDArray cols = Nd4j.arange(in).castTo(DataType.FLOAT).reshape(1, in);             // (1,in)
        INDArray at0 = NdOps.eq(cols, i0.reshape(out, 1)).castTo(DataType.FLOAT);          // (out,in) one-hot
        INDArray at1 = NdOps.eq(cols, i1.reshape(out, 1)).castTo(DataType.FLOAT);
        INDArray oneMinus = lambda.rsub(1f).reshape(out, 1);
        return at0.mul(oneMinus).addi(at1.mul(lambda.reshape(out, 1)));                   // (out,in)
    }
}
