package aclip4j.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@link Parallel}: ranges that cover [0, n) once whatever the threads, failures rethrown, no job lost or hung. */
@ExtendWith(RestoreThreads.class)
class ParallelTest {
    @Test
    void rangesCoverEveryIndexOnceInChunks() {
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
    }

    @Test
    void aFailingTaskIsRethrownAndThePoolGoesOn() {
        Parallel.setThreads(2);
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> Parallel.forEach(8, i -> {
                    if (i == 5) {
                        throw new IllegalStateException("task 5 failed");
                    }
                }));
        assertEquals("task 5 failed", e.getMessage());
        java.util.concurrent.atomic.AtomicInteger ran = new java.util.concurrent.atomic.AtomicInteger();
        Parallel.forEach(8, i -> ran.incrementAndGet());
        assertEquals(8, ran.get());
    }

    /**
     * Jobs back to back, with idle gaps long enough for the workers to park between some of them, from several
     * threads at once (a call that finds the workers taken runs on its caller): every task runs exactly once and
     * nothing hangs (a lost wake-up would leave a caller waiting for a parked worker).
     */
    @Test
    void jobsFromSeveralThreadsWithPausesEachRunEveryTaskOnce() throws Exception {
        for (int threads : new int[] {2, 3}) {
            Parallel.setThreads(threads);
            org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(60), () -> {
                java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(3);
                try {
                    List<java.util.concurrent.Future<long[]>> results = new ArrayList<>();
                    for (int c = 0; c < 3; c++) {
                        int caller = c;
                        results.add(callers.submit(() -> {
                            long[] sums = new long[2];
                            for (int job = 0; job < 3000; job++) {
                                int tasks = 1 + (job * 7 + caller) % 13;
                                long[] hits = new long[tasks];
                                Parallel.forEach(tasks, i -> hits[i]++);
                                for (long h : hits) {
                                    sums[0] += h;
                                }
                                sums[1] += tasks;
                                if (job % 500 == caller) {
                                    Thread.sleep(2); // past the workers' spin: they park
                                }
                            }
                            return sums;
                        }));
                    }
                    for (java.util.concurrent.Future<long[]> f : results) {
                        long[] sums = f.get();
                        assertEquals(sums[1], sums[0], "every task once");
                    }
                } finally {
                    callers.shutdownNow();
                }
            });
        }
    }

    /** 300 new teams of workers, each given a job at once (before its workers may have run): every job completes. */
    @Test
    void aJobRightAfterANewTeamIsRun() {
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(60), () -> {
            for (int round = 0; round < 300; round++) {
                Parallel.setThreads(2 + round % 2);
                java.util.concurrent.atomic.AtomicInteger ran = new java.util.concurrent.atomic.AtomicInteger();
                Parallel.forEach(5, i -> ran.incrementAndGet());
                assertEquals(5, ran.get(), "round " + round);
            }
        });
    }
}
