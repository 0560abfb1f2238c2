package aclip4j.golden;

import aclip4j.tensor.Tensor;
import aclip4j.Backend;
import java.util.Map;

/**
 * Recomputes one golden component (goldens/README.md "Components") from a case's inputs and parameters.
 * One handler per component; it runs the {@code Simd…} or the {@code Nd4j…} twin as the backend says.
 */
public interface ComponentHandler {
    /** The golden component name, e.g. {@code resize_bilinear}. */
    String component();

    /**
     * The outputs, keyed by their full golden names ({@code out.<name>}). Every {@code out.*} tensor of the case
     * must be among them; bad inputs throw {@link IllegalArgumentException} with a message naming the problem.
     */
    Map<String, Tensor> compute(GoldenCase golden, Backend backend);
}
