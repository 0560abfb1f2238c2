package aclip4j.mask.golden;

import aclip4j.tensor.DType;
import aclip4j.golden.GoldenCase;
import aclip4j.tensor.Tensor;
import java.util.Arrays;

/** Reading the masking components' golden inputs with errors that name the tensor and what was expected. */
final class Inputs {
    private Inputs() {}

    /** in.<name>, a float tensor of the given rank, as float32. */
    static Tensor floats(GoldenCase golden, String name, int rank) {
        Tensor t = golden.input(name).requireRank("in." + name, rank);
        if (!t.dtype().isFloat()) {
            throw new IllegalArgumentException("in." + name + " is " + t + ", expected F32");
        }
        return t;
    }

    /** in.<name>, an I32 tensor of exactly the given shape. */
    static int[] ints(GoldenCase golden, String name, int... shape) {
        Tensor t = golden.input(name).requireShape("in." + name, shape);
        if (t.dtype() != DType.I32) {
            throw new IllegalArgumentException("in." + name + " is " + t + ", expected I32 " + Arrays.toString(shape));
        }
        return t.ints();
    }

    /** A [B,S,S] map's side, refusing a non-square one. */
    static int squareSide(String what, Tensor t) {
        if (t.dim(1) != t.dim(2)) {
            throw new IllegalArgumentException(what + " has shape " + Arrays.toString(t.shape())
                    + ", expected a square map [B,S,S]");
        }
        return t.dim(1);
    }
}
