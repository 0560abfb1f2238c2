package aclip4j.mask;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.EqualTo;
import org.nd4j.linalg.api.ops.impl.transforms.custom.GreaterThan;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Broadcasting comparisons for the ND4J twins. In ND4J 1.0.0-M2.1, {@code INDArray.gt/lt/eq} allocate their
 * output with the receiver's shape when both operands hold the same number of elements, so {@code [1,n,1]}
 * against {@code [1,1,n]} fails ("Output array did not match expected shape"); the custom ops compute the
 * broadcast shape themselves.
 */
final class NdOps {
    private NdOps() {}

    /** a > b elementwise, broadcast, as a BOOL array. */
    static INDArray gt(INDArray a, INDArray b) {
        return Nd4j.exec(new GreaterThan(a, b))[0];
    }

    /** a == b elementwise, broadcast, as a BOOL array. */
    static INDArray eq(INDArray a, INDArray b) {
        return Nd4j.exec(new EqualTo(a, b))[0];
    }
}
