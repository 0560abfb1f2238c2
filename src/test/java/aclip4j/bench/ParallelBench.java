package aclip4j.bench;

import aclip4j.kernel.Parallel;

/**
 * What one {@link Parallel#forEach} costs beyond its tasks: four tasks of a fixed amount of scalar work each, on the
 * configured threads against the same four in a plain loop, 20 000 times. The speed-up column is what a kernel cut
 * into tasks of that size can gain from the second thread.
 *
 * <pre>
 * mvn -o -B -q test-compile
 * java -cp target/test-classes:target/classes -Daclip4j.threads=2 aclip4j.bench.ParallelBench
 * java -cp target/test-classes:target/classes -Daclip4j.threads=2 -Daclip4j.spin.micros=0 aclip4j.bench.ParallelBench
 * </pre>
 */
public final class ParallelBench {
    private static volatile double sink;

    private ParallelBench() {}

    private static void work(int iters) {
        double x = 1;
        for (int i = 0; i < iters; i++) {
            x = x * 1.0000001 + 1e-9;
        }
        sink += x;
    }

    public static void main(String[] args) {
        int jobs = 20_000;
        System.out.printf("ParallelBench: %d threads, 4 tasks per forEach, %d forEach calls per row%n",
                Parallel.threads(), jobs);
        for (int iters : new int[] {0, 2_500, 10_000, 40_000}) {
            for (int rep = 0; rep < 3; rep++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < jobs; i++) {
                    Parallel.forEach(4, t -> work(iters));
                }
                double parallel = (System.nanoTime() - t0) / (jobs * 1e3);
                t0 = System.nanoTime();
                for (int i = 0; i < jobs; i++) {
                    for (int t = 0; t < 4; t++) {
                        work(iters);
                    }
                }
                double serial = (System.nanoTime() - t0) / (jobs * 1e3);
                System.out.printf("work %6d per task: forEach %8.1f us, plain loop %8.1f us, speed-up %.2f%n", iters,
                        parallel, serial, serial / parallel);
            }
        }
    }
}
