package aclip4j.kernel;

import jdk.incubator.vector.FloatVector;

/**
 * Lane reductions whose bits do not depend on the JIT. {@code reduceLanes(ADD)} on floats may add the lanes in any
 * order (the specification allows it; newer HotSpot versions compile it as a tree while the interpreter adds left to
 * right), so a run that starts interpreted and ends compiled would change its bits with JIT timing. The exponential
 * has the same problem and is handled by {@code Vec.expShifted}.
 */
public final class VecMath {
    private VecMath() {}

    /** Sum of the lanes, left to right: {@code v[0] + v[1] + … + v[n-1]}. */
    public static float sumLanes(FloatVector v) {
        float[] lanes = v.toArray();
        float s = 0f;
        for (float x : lanes) {
            s += x;
        }
        return s;
    }
}
