package aclip4j.kernel;

import static aclip4j.kernel.MatmulOracle.assertBits;
import static aclip4j.kernel.MatmulOracle.assertWithin;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link Matmul} on ViT shapes, across thread counts, on hand-computed cases and bad input; {@link Parallel}. */
@ExtendWith(RestoreThreads.class)
class MatmulTest {
    /** ViT-B/16 at 224 px: T = 197 tokens, D = 768, MLP 3072 (qkv/proj, fc, proj shapes). */
    @ParameterizedTest(name = "BT={0} C={1} OC={2}")
    @CsvSource({"197, 768, 768", "197, 768, 3072", "197, 3072, 768"})
    void forwardOnVitShapesIsTheFmaChain(int BT, int C, int OC) {
        SplittableRandom rnd = new SplittableRandom(BT * 31L + C * 7L + OC);
        float[] inp = MatmulOracle.random(rnd, BT * C);
        float[] weight = MatmulOracle.random(rnd, OC * C);
        float[] bias = MatmulOracle.random(rnd, OC);
        float[] out = new float[BT * OC];
        Matmul.matmulForward(out, inp, weight, bias, BT, C, OC);
        assertBits("forward " + Lanes.preferred(), MatmulOracle.forwardFma(inp, weight, bias, BT, C, OC), out);
        assertWithin("forward vs float64", MatmulOracle.forward64(inp, weight, bias, BT, C, OC), out);
    }

    @Test
    void backwardOnVitMlpShapeIsTheFmaChain() {
        int BT = 197, C = 768, OC = 3072;
        SplittableRandom rnd = new SplittableRandom(42);
        float[] inp = MatmulOracle.random(rnd, BT * C);
        float[] weight = MatmulOracle.random(rnd, OC * C);
        float[] dout = MatmulOracle.random(rnd, BT * OC);
        float[] dinp0 = MatmulOracle.random(rnd, BT * C);
        float[] dweight0 = MatmulOracle.random(rnd, OC * C);
        float[] dbias0 = MatmulOracle.random(rnd, OC);
        float[] dinp = dinp0.clone(), dweight = dweight0.clone(), dbias = dbias0.clone();
        Matmul.matmulBackward(dinp, dweight, dbias, dout, inp, weight, BT, C, OC);
        assertBits("dinp", MatmulOracle.dinpFma(dinp0, dout, weight, BT, C, OC), dinp);
        assertBits("dweight", MatmulOracle.dweightFma(dweight0, dout, inp, BT, C, OC), dweight);
        assertBits("dbias", MatmulOracle.dbiasChain(dbias0, dout, BT, OC), dbias);
        assertWithin("dweight vs float64", MatmulOracle.dweight64(dweight0, dout, inp, BT, C, OC), dweight);
    }

    /**
     * Reductions longer than one K block (1024): the accumulator passes through C between blocks, the last block
     * is 21 steps (not a multiple of the 16 x 16 transposed pack), and 70 output columns leave a 6-column panel.
     */
    @ParameterizedTest(name = "BT={0} C={1} OC={2}")
    @CsvSource({"7, 2069, 70", "13, 1040, 64"})
    void severalReductionBlocksAreStillTheFmaChain(int BT, int C, int OC) {
        SplittableRandom rnd = new SplittableRandom(C);
        float[] inp = MatmulOracle.random(rnd, BT * C);
        float[] weight = MatmulOracle.random(rnd, OC * C);
        float[] bias = MatmulOracle.random(rnd, OC);
        float[] out = new float[BT * OC];
        Matmul.matmulForward(out, inp, weight, bias, BT, C, OC);
        assertBits("forward " + Lanes.preferred(), MatmulOracle.forwardFma(inp, weight, bias, BT, C, OC), out);
        float[] dout = MatmulOracle.random(rnd, BT * OC);
        float[] dinp0 = MatmulOracle.random(rnd, BT * C);
        float[] dinp = dinp0.clone();
        Matmul.matmulBackward(dinp, null, null, dout, inp, weight, BT, C, OC);
        assertBits("dinp", MatmulOracle.dinpFma(dinp0, dout, weight, BT, C, OC), dinp);
        // dweight reduces over BT: make BT the long side by swapping the roles of the shapes.
        float[] dweight0 = MatmulOracle.random(rnd, BT * OC);
        float[] dweight = dweight0.clone();
        float[] doutLong = MatmulOracle.random(rnd, C * BT);
        float[] inpLong = MatmulOracle.random(rnd, C * OC);
        Matmul.matmulBackward(null, dweight, null, doutLong, inpLong, null, C, OC, BT);
        assertBits("dweight", MatmulOracle.dweightFma(dweight0, doutLong, inpLong, C, OC, BT), dweight);
    }

    /** Many tiles in every direction (4 row tiles, 2 column blocks, K tails) so threads really share the work. */
    @Test
    void bitIdenticalAcrossThreadCountsAndRuns() {
        int BT = 301, C = 517, OC = 1000;
        SplittableRandom rnd = new SplittableRandom(7);
        float[] inp = MatmulOracle.random(rnd, BT * C);
        float[] weight = MatmulOracle.random(rnd, OC * C);
        float[] bias = MatmulOracle.random(rnd, OC);
        float[] dout = MatmulOracle.random(rnd, BT * OC);
        float[] grad0 = MatmulOracle.random(rnd, Math.max(BT, OC) * C);
        for (Lanes lanes : List.of(Lanes.preferred())) {
            float[][] first = null;
            for (int threads : new int[] {1, 2, 3, 1, 3, 2}) {
                Parallel.setThreads(threads);
                float[] out = new float[BT * OC];
                Matmul.matmulForward(lanes, out, inp, weight, bias, BT, C, OC);
                float[] dinp = java.util.Arrays.copyOf(grad0, BT * C);
                float[] dweight = java.util.Arrays.copyOf(grad0, OC * C);
                float[] dbias = java.util.Arrays.copyOf(grad0, OC);
                Matmul.matmulBackward(lanes, dinp, dweight, dbias, dout, inp, weight, BT, C, OC);
                float[][] now = {out, dinp, dweight, dbias};
                // dbias: 301 rows are ten row blocks, and each thread count splits the 1000 columns differently
                assertBits("dbias with " + threads + " threads vs chain",
                        MatmulOracle.dbiasChain(java.util.Arrays.copyOf(grad0, OC), dout, BT, OC), dbias);
                if (first == null) {
                    first = now;
                    continue;
                }
                String[] names = {"out", "dinp", "dweight", "dbias"};
                for (int i = 0; i < now.length; i++) {
                    assertBits(names[i] + " " + lanes + " with " + threads + " threads vs 1", first[i], now[i]);
                }
            }
        }
    }

    /**
     * inp = [[1,2,3],[4,5,6]], weight = [[1,0,-1],[2,1,0]], bias = [10,20]:
     * out = [[1-3+10, 2+2+20], [4-6+10, 8+5+20]] = [[8,24],[8,33]].
     */
    @Test
    void handComputedForwardAtEveryWidth() {
        float[] inp = {1, 2, 3, 4, 5, 6};
        float[] weight = {1, 0, -1, 2, 1, 0};
        for (Lanes lanes : widths()) {
            float[] out = new float[4];
            Matmul.matmulForward(lanes, out, inp, weight, new float[] {10, 20}, 2, 3, 2);
            assertArrayEquals(new float[] {8, 24, 8, 33}, out, "with bias at " + lanes);
            Matmul.matmulForward(lanes, out, inp, weight, null, 2, 3, 2);
            assertArrayEquals(new float[] {-2, 4, -2, 13}, out, "no bias at " + lanes);
        }
    }

    /**
     * Same inputs, dout = [[1,0],[0,2]], gradients starting at 100:
     * dinp = 100 + dout @ weight = 100 + [[1,0,-1],[4,2,0]];
     * dweight = 100 + dout^T @ inp = 100 + [[1,2,3],[8,10,12]]; dbias = 100 + [1, 2]. Twice: the increments add twice.
     */
    @Test
    void handComputedBackwardAddsIntoGradients() {
        float[] inp = {1, 2, 3, 4, 5, 6};
        float[] weight = {1, 0, -1, 2, 1, 0};
        float[] dout = {1, 0, 0, 2};
        for (Lanes lanes : widths()) {
            float[] dinp = filled(6, 100), dweight = filled(6, 100), dbias = filled(2, 100);
            Matmul.matmulBackward(lanes, dinp, dweight, dbias, dout, inp, weight, 2, 3, 2);
            assertArrayEquals(new float[] {101, 100, 99, 104, 102, 100}, dinp, "dinp at " + lanes);
            assertArrayEquals(new float[] {101, 102, 103, 108, 110, 112}, dweight, "dweight at " + lanes);
            assertArrayEquals(new float[] {101, 102}, dbias, "dbias at " + lanes);
            Matmul.matmulBackward(lanes, dinp, dweight, dbias, dout, inp, weight, 2, 3, 2);
            assertArrayEquals(new float[] {102, 100, 98, 108, 104, 100}, dinp, "dinp twice at " + lanes);
            assertArrayEquals(new float[] {102, 104, 106, 116, 120, 124}, dweight, "dweight twice at " + lanes);
            assertArrayEquals(new float[] {102, 104}, dbias, "dbias twice at " + lanes);
            // Skipped gradients stay untouched, and inputs are not needed for them.
            float[] onlyBias = filled(2, 0);
            Matmul.matmulBackward(lanes, null, null, onlyBias, dout, null, null, 2, 3, 2);
            assertArrayEquals(new float[] {1, 2}, onlyBias, "dbias alone at " + lanes);
        }
    }

    @Test
    void emptyDimensions() {
        for (Lanes lanes : widths()) {
            float[] out = filled(6, -1);
            Matmul.matmulForward(lanes, out, new float[0], new float[0], new float[] {1, 2, 3}, 2, 0, 3);
            assertArrayEquals(new float[] {1, 2, 3, 1, 2, 3}, out, "C = 0 leaves the bias at " + lanes);
            Matmul.matmulForward(lanes, out, new float[0], new float[0], null, 2, 0, 3);
            assertArrayEquals(new float[6], out, "C = 0 without bias gives zeros at " + lanes);
            float[] dw = filled(6, 5);
            Matmul.matmulBackward(lanes, new float[0], dw, new float[3], new float[0], new float[0], filled(6, 1),
                    0, 2, 3);
            assertArrayEquals(filled(6, 5), dw, "BT = 0 adds nothing at " + lanes);
            Matmul.matmulForward(lanes, new float[0], new float[4], new float[0], null, 2, 2, 0);
        }
    }

    @Test
    void badInputNamesTheOffender() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Matmul.matmulForward(new float[3], new float[6], new float[6], null, 2, 3, 2));
        assertTrue(e.getMessage().contains("out") && e.getMessage().contains("(BT,OC)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Matmul.matmulForward(new float[4], new float[6], new float[6], new float[1], 2, 3, 2));
        assertTrue(e.getMessage().startsWith("bias"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Matmul.matmulBackward(null, new float[6], null, new float[4], new float[5], null, 2, 3, 2));
        assertTrue(e.getMessage().startsWith("inp"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Matmul.matmulForward(new float[4], new float[6], new float[6], null, 2, -3, 2));
        assertTrue(e.getMessage().contains("C=-3"), e.getMessage());
    }

    @Test
    void threadCountIsConfigurableAndValidated() {
        Parallel.setThreads(3);
        assertEquals(3, Parallel.threads());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Parallel.setThreads(0));
        assertTrue(e.getMessage().contains("0"), e.getMessage());
        assertEquals(3, Parallel.threads());
    }

    @Test
    void forEachRunsEveryTaskOnceOnSeveralThreads() {
        Parallel.setThreads(3);
        int tasks = 40;
        AtomicInteger[] runs = new AtomicInteger[tasks];
        for (int i = 0; i < tasks; i++) {
            runs[i] = new AtomicInteger();
        }
        Set<Thread> seen = ConcurrentHashMap.newKeySet();
        Parallel.forEach(tasks, i -> {
            runs[i].incrementAndGet();
            seen.add(Thread.currentThread());
            sleep(3);
        });
        for (int i = 0; i < tasks; i++) {
            assertEquals(1, runs[i].get(), "task " + i);
        }
        assertTrue(seen.size() > 1, "40 tasks of 3 ms on 3 threads all ran on " + seen);
        assertTrue(seen.size() <= 3, "more threads than configured: " + seen);

        Parallel.setThreads(1);
        Set<Thread> single = ConcurrentHashMap.newKeySet();
        Parallel.forEach(8, i -> single.add(Thread.currentThread()));
        assertEquals(Set.of(Thread.currentThread()), single);
    }

    @Test
    void forEachRethrowsAndNestsInline() {
        Parallel.setThreads(2);
        IllegalStateException boom = new IllegalStateException("task 5 failed");
        IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> Parallel.forEach(10, i -> {
            if (i == 5) {
                throw boom;
            }
        }));
        assertSame(boom, thrown);
        AtomicInteger inner = new AtomicInteger();
        Parallel.forEach(4, i -> Parallel.forEach(5, j -> inner.incrementAndGet()));
        assertEquals(20, inner.get());
    }

    private static List<Lanes> widths() {
        return Lanes.testWidths();
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
