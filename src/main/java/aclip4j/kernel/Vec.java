package aclip4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Strided element-wise sums shared by the kernels, each with its scalar twin. Shapes: n floats at each offset. */
final class Vec {
    private Vec() {}

    /** out[o..o+n) = a[ao..) + b[bo..). */
    static void add(Lanes lanes, float[] out, int o, float[] a, int ao, float[] b, int bo, int n) {
        if (lanes.scalar()) {
            addScalar(out, o, a, ao, b, bo, n);
            return;
        }
        VectorSpecies<Float> sp = lanes.species();
        int bound = sp.loopBound(n), i = 0;
        for (; i < bound; i += sp.length()) {
            FloatVector.fromArray(sp, a, ao + i).add(FloatVector.fromArray(sp, b, bo + i)).intoArray(out, o + i);
        }
        for (; i < n; i++) {
            out[o + i] = a[ao + i] + b[bo + i];
        }
    }

    static void addScalar(float[] out, int o, float[] a, int ao, float[] b, int bo, int n) {
        for (int i = 0; i < n; i++) {
            out[o + i] = a[ao + i] + b[bo + i];
        }
    }

    /** dst[d..d+n) += src[s..). */
    static void accumulate(Lanes lanes, float[] dst, int d, float[] src, int s, int n) {
        if (lanes.scalar()) {
            accumulateScalar(dst, d, src, s, n);
            return;
        }
        VectorSpecies<Float> sp = lanes.species();
        int bound = sp.loopBound(n), i = 0;
        for (; i < bound; i += sp.length()) {
            FloatVector.fromArray(sp, dst, d + i).add(FloatVector.fromArray(sp, src, s + i)).intoArray(dst, d + i);
        }
        for (; i < n; i++) {
            dst[d + i] += src[s + i];
        }
    }

    static void accumulateScalar(float[] dst, int d, float[] src, int s, int n) {
        for (int i = 0; i < n; i++) {
            dst[d + i] += src[s + i];
        }
    }
}
