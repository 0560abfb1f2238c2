package aclip4j.kernel;

/**
 * Linear layers as llm.c writes them: {@code out = inp @ weight^T + bias}, with {@code weight} in PyTorch's
 * {@code [OC, C]} layout. Backward <b>adds</b> into the gradients.
 *
 * <p>This is the plain scalar definition; the fast register-blocked Vector API version replaces these bodies
 * and keeps them as {@code *Scalar} twins.
 */
public final class Matmul {
    private Matmul() {}

    /** out (BT,OC) = inp (BT,C) @ weight (OC,C)^T + bias (OC) or no bias when null. */
    public static void matmulForward(float[] out, float[] inp, float[] weight, float[] bias, int BT, int C, int OC) {
        for (int t = 0; t < BT; t++) {
            for (int o = 0; o < OC; o++) {
                float acc = bias == null ? 0f : bias[o];
                for (int c = 0; c < C; c++) {
                    acc += inp[t * C + c] * weight[o * C + c];
                }
                out[t * OC + o] = acc;
            }
        }
    }

    /**
     * dinp (BT,C) += dout (BT,OC) @ weight (OC,C); dweight (OC,C) += dout^T @ inp; dbias (OC) += sum over BT of dout.
     * Any of dinp, dweight, dbias may be null to skip it.
     */
    public static void matmulBackward(float[] dinp, float[] dweight, float[] dbias, float[] dout, float[] inp,
                                      float[] weight, int BT, int C, int OC) {
        if (dinp != null) {
            for (int t = 0; t < BT; t++) {
                for (int o = 0; o < OC; o++) {
                    float d = dout[t * OC + o];
                    for (int c = 0; c < C; c++) {
                        dinp[t * C + c] += d * weight[o * C + c];
                    }
                }
            }
        }
        if (dweight != null || dbias != null) {
            for (int o = 0; o < OC; o++) {
                for (int t = 0; t < BT; t++) {
                    float d = dout[t * OC + o];
                    if (dbias != null) {
                        dbias[o] += d;
                    }
                    if (dweight != null) {
                        for (int c = 0; c < C; c++) {
                            dweight[o * C + c] += inp[t * C + c] * d;
                        }
                    }
                }
            }
        }
    }
}
