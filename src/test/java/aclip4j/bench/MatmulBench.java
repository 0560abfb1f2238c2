package aclip4j.bench;

import static aclip4j.kernel.MatmulOracle.random;

import aclip4j.kernel.Lanes;
import aclip4j.kernel.Matmul;
import aclip4j.kernel.Parallel;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Linear-layer forward {@code out (BT,OC) = inp (BT,C) @ weight (OC,C)^T + bias}, single-threaded: the blocked
 * kernel against a naive Vector API loop and the scalar specification. Shapes are {@code BTxCxOC}: ViT-B/16
 * attention projection (197x768x768), MLP up (197x768x3072), MLP down (197x3072x768), and 1024^3.
 * {@link Bench} runs this and turns times into GFLOP/s = 2*BT*C*OC / time and a fraction of the core's peak.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Daclip4j.threads=1"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class MatmulBench {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    @Param({"197x768x768", "197x768x3072", "197x3072x768", "1024x1024x1024"})
    public String shape;

    int BT, C, OC;
    float[] inp, weight, bias, out, dout, dinp, dweight, dbias;

    @Setup(Level.Trial)
    public void setup() {
        String[] d = shape.split("x");
        BT = Integer.parseInt(d[0]);
        C = Integer.parseInt(d[1]);
        OC = Integer.parseInt(d[2]);
        SplittableRandom rnd = new SplittableRandom(1);
        inp = random(rnd, BT * C);
        weight = random(rnd, OC * C);
        bias = random(rnd, OC);
        dout = random(rnd, BT * OC);
        out = new float[BT * OC];
        dinp = new float[BT * C];
        dweight = new float[OC * C];
        dbias = new float[OC];
        Parallel.setThreads(1);
    }

    /** The blocked, register-tiled kernel at the preferred width. */
    @Benchmark
    public float[] blocked() {
        Matmul.matmulForward(Lanes.preferred(), out, inp, weight, bias, BT, C, OC);
        return out;
    }

    /** The plain loops (the specification). */
    @Benchmark
    public float[] scalar() {
        Matmul.matmulForwardScalar(out, inp, weight, bias, BT, C, OC);
        return out;
    }

    /** One dot product per output with one vector accumulator and a reduceLanes (llama3.java style). */
    @Benchmark
    public float[] naiveVector() {
        int bound = S.loopBound(C);
        for (int t = 0; t < BT; t++) {
            for (int o = 0; o < OC; o++) {
                FloatVector acc = FloatVector.zero(S);
                int c = 0;
                for (; c < bound; c += S.length()) {
                    acc = FloatVector.fromArray(S, inp, t * C + c).fma(FloatVector.fromArray(S, weight, o * C + c), acc);
                }
                float sum = acc.reduceLanes(VectorOperators.ADD);
                for (; c < C; c++) {
                    sum += inp[t * C + c] * weight[o * C + c];
                }
                out[t * OC + o] = sum + bias[o];
            }
        }
        return out;
    }

    /** dinp, dweight and dbias together (4*BT*C*OC flops); the gradients keep growing, which costs nothing. */
    @Benchmark
    public float[] blockedBackward() {
        Matmul.matmulBackward(Lanes.preferred(), dinp, dweight, dbias, dout, inp, weight, BT, C, OC);
        return dweight;
    }
}
