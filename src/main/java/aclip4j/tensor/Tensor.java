package aclip4j.tensor;

import java.util.Arrays;

/**
 * A dense row-major tensor as the golden format stores it: a dtype, a shape and one flat Java array
 * ({@code float[]} for F32, {@code double[]} for F64, {@code int[]} for I32, {@code byte[]} for U8).
 * A scalar has shape {@code []} and one element.
 */
public final class Tensor {
    private final DType dtype;
    private final int[] shape;
    private final Object data;

    private Tensor(DType dtype, int[] shape, Object data) {
        this.dtype = dtype;
        this.shape = shape.clone();
        this.data = data;
        long n = numel(shape);
        int length = java.lang.reflect.Array.getLength(data);
        if (n != length) {
            throw new IllegalArgumentException(
                    "shape " + Arrays.toString(shape) + " holds " + n + " elements but the data has " + length);
        }
    }

    public static Tensor f32(float[] data, int... shape) {
        return new Tensor(DType.F32, shape, data);
    }

    public static Tensor f64(double[] data, int... shape) {
        return new Tensor(DType.F64, shape, data);
    }

    public static Tensor i32(int[] data, int... shape) {
        return new Tensor(DType.I32, shape, data);
    }

    public static Tensor u8(byte[] data, int... shape) {
        return new Tensor(DType.U8, shape, data);
    }

    /** A float32 scalar (shape {@code []}). */
    public static Tensor scalar(float value) {
        return f32(new float[] {value});
    }

    public static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n *= d;
        }
        return n;
    }

    public DType dtype() {
        return dtype;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int axis) {
        return shape[axis];
    }

    public int numel() {
        return (int) numel(shape);
    }

    /** The raw array (no copy). */
    public Object data() {
        return data;
    }

    /** The F32 data (no copy); refuses other dtypes. */
    public float[] floats() {
        require(DType.F32);
        return (float[]) data;
    }

    /** The F64 data (no copy); refuses other dtypes. */
    public double[] doubles() {
        require(DType.F64);
        return (double[]) data;
    }

    /** The I32 data (no copy); refuses other dtypes. */
    public int[] ints() {
        require(DType.I32);
        return (int[]) data;
    }

    /** The U8 data (no copy); refuses other dtypes. */
    public byte[] bytes() {
        require(DType.U8);
        return (byte[]) data;
    }

    /** Any dtype widened to double, element by element (U8 unsigned). */
    public double[] toDoubles() {
        int n = numel();
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = getDouble(i);
        }
        return out;
    }

    /** Any float dtype as float32 (F64 rounded); integer dtypes are refused. */
    public float[] toFloats() {
        if (dtype == DType.F32) {
            return ((float[]) data).clone();
        }
        if (dtype == DType.F64) {
            double[] d = (double[]) data;
            float[] out = new float[d.length];
            for (int i = 0; i < d.length; i++) {
                out[i] = (float) d[i];
            }
            return out;
        }
        throw new IllegalArgumentException("expected a float tensor, got " + dtype);
    }

    public double getDouble(int flatIndex) {
        switch (dtype) {
            case F32: return ((float[]) data)[flatIndex];
            case F64: return ((double[]) data)[flatIndex];
            case I32: return ((int[]) data)[flatIndex];
            case U8: return ((byte[]) data)[flatIndex] & 0xff;
            default: throw new AssertionError(dtype);
        }
    }

    /** Refuses this tensor unless its shape equals {@code expected}; {@code what} names it in the message. */
    public Tensor requireShape(String what, int... expected) {
        if (!Arrays.equals(shape, expected)) {
            throw new IllegalArgumentException(
                    what + " has shape " + Arrays.toString(shape) + ", expected " + Arrays.toString(expected));
        }
        return this;
    }

    /** Refuses this tensor unless it has the given rank. */
    public Tensor requireRank(String what, int rank) {
        if (shape.length != rank) {
            throw new IllegalArgumentException(
                    what + " has shape " + Arrays.toString(shape) + ", expected rank " + rank);
        }
        return this;
    }

    private void require(DType expected) {
        if (dtype != expected) {
            throw new IllegalArgumentException("tensor is " + dtype + " " + Arrays.toString(shape)
                    + ", expected " + expected);
        }
    }

    @Override
    public String toString() {
        return dtype + Arrays.toString(shape);
    }
}
