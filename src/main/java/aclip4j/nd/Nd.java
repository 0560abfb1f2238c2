package aclip4j.nd;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Conversions between Java arrays and ND4J arrays shared by every {@code Nd4j…} twin (row-major, C order). */
public final class Nd {
    static {
        Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
    }

    private Nd() {}

    /** A float32 C-order INDArray holding a copy of {@code data} with the given shape. */
    public static INDArray f32(float[] data, int... shape) {
        long[] s = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            s[i] = shape[i];
        }
        Traffic.in(4L * data.length);
        return Nd4j.create(data.clone(), s, 'c');
    }

    /** A float64 C-order INDArray holding a copy of {@code data}. */
    public static INDArray f64(double[] data, int... shape) {
        long[] s = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            s[i] = shape[i];
        }
        Traffic.in(8L * data.length);
        return Nd4j.create(data.clone(), s, 'c');
    }

    /** The elements of {@code a} in C order as float32. */
    public static float[] floats(INDArray a) {
        INDArray c = a.dataType() == DataType.FLOAT ? a : a.castTo(DataType.FLOAT);
        float[] out = c.dup('c').data().asFloat();
        Traffic.out(4L * out.length);
        return out;
    }

    /** The elements of {@code a} in C order as int32. */
    public static int[] ints(INDArray a) {
        int[] out = a.castTo(DataType.INT).dup('c').data().asInt();
        Traffic.out(4L * out.length);
        return out;
    }
}
