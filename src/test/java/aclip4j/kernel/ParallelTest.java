package aclip4j.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Parallel#forRanges}: consecutive ranges of the chunk size that cover [0, n) once, whatever the threads. */
class ParallelTest {
    @Test
    void rangesCoverEveryIndexOnceInChunks() {
        int before = Parallel.threads();
        try {
            for (int threads : new int[] {1, 2, 3}) {
                Parallel.setThreads(threads);
                for (int n : new int[] {0, 1, 6, 7, 13, 64}) {
                    for (int chunk : new int[] {1, 4, 7, 100}) {
                        int[] hits = new int[n];
                        List<int[]> ranges = Collections.synchronizedList(new ArrayList<>());
                        Parallel.forRanges(n, chunk, (from, to) -> {
                            ranges.add(new int[] {from, to});
                            for (int i = from; i < to; i++) {
                                synchronized (hits) {
                                    hits[i]++;
                                }
                            }
                        });
                        int[] ones = new int[n];
                        java.util.Arrays.fill(ones, 1);
                        assertArrayEquals(ones, hits, "n " + n + " chunk " + chunk);
                        assertEquals((n + chunk - 1) / chunk, ranges.size(), "n " + n + " chunk " + chunk);
                        for (int[] r : ranges) {
                            assertEquals(0, r[0] % chunk, "ranges start at multiples of the chunk");
                            assertEquals(Math.min(n, r[0] + chunk), r[1]);
                        }
                    }
                }
            }
        } finally {
            Parallel.setThreads(before);
        }
    }
}
