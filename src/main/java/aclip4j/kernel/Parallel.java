package aclip4j.kernel;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/**
 * The thread pool the kernels share, and the one way they use it: {@link #forEach} over a fixed list of tasks.
 *
 * <p>Determinism rests on the callers, not on this class: a kernel cuts its work into tasks whose number and
 * bounds depend only on the problem size (never on {@link #threads()}), and each task computes its outputs in
 * a fixed order by itself. Which thread runs which task then cannot change a single bit of the result, so
 * 1, 2 or 3 threads give the same output.
 *
 * <p>The size comes from {@value #PROPERTY} (default: available processors) and can be changed with
 * {@link #setThreads(int)}. The calling thread works too, so the pool holds {@code threads - 1} workers.
 */
public final class Parallel {
    public static final String PROPERTY = "aclip4j.threads";

    private static final Object LOCK = new Object();
    private static volatile int threads = fromProperty();
    private static volatile ExecutorService workers; // created lazily; null while threads == 1

    private Parallel() {}

    /** Threads a {@link #forEach} may use, the caller included. */
    public static int threads() {
        return threads;
    }

    /** Sets the number of threads (at least 1); the old workers finish what they hold and stop. */
    public static void setThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("thread count " + n + " must be at least 1");
        }
        synchronized (LOCK) {
            if (n == threads) {
                return;
            }
            ExecutorService old = workers;
            workers = null;
            threads = n;
            if (old != null) {
                old.shutdown();
            }
        }
    }

    /** One range {@code [from, to)} of a {@link #forRanges} split. */
    @FunctionalInterface
    public interface RangeBody {
        void accept(int from, int to);
    }

    /**
     * Cuts {@code [0, n)} into consecutive ranges of {@code chunk} elements (the last one shorter) and runs
     * {@code body} on each, as {@link #forEach} runs its tasks: the split depends on n and chunk alone, never on the
     * thread count, and a single range runs on the caller.
     */
    public static void forRanges(int n, int chunk, RangeBody body) {
        forEach((n + chunk - 1) / chunk, c -> {
            int from = c * chunk;
            body.accept(from, Math.min(n, from + chunk));
        });
    }

    /**
     * Runs {@code body.accept(i)} for every {@code i} in {@code [0, tasks)}, on up to {@link #threads()} threads,
     * and returns when all are done. A task's exception is rethrown here. Called from inside a task it runs
     * serially, so kernels may nest without starving the pool.
     */
    public static void forEach(int tasks, IntConsumer body) {
        int n = Math.min(threads, tasks);
        if (n <= 1 || Thread.currentThread() instanceof Worker) {
            for (int i = 0; i < tasks; i++) {
                body.accept(i);
            }
            return;
        }
        ExecutorService pool = pool();
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable drain = () -> {
            try {
                for (int i = next.getAndIncrement(); i < tasks && failure.get() == null; i = next.getAndIncrement()) {
                    body.accept(i);
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        };
        int helpers = n - 1;
        CountDownLatch done = new CountDownLatch(helpers);
        for (int h = 0; h < helpers; h++) {
            pool.execute(() -> {
                try {
                    drain.run();
                } finally {
                    done.countDown();
                }
            });
        }
        drain.run();
        boolean interrupted = false;
        while (true) {
            try {
                done.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // the helpers still write into the caller's arrays: wait for them
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        Throwable t = failure.get();
        if (t instanceof RuntimeException) {
            throw (RuntimeException) t;
        }
        if (t instanceof Error) {
            throw (Error) t;
        }
        if (t != null) {
            throw new IllegalStateException("parallel task failed", t);
        }
    }

    private static ExecutorService pool() {
        ExecutorService pool = workers;
        if (pool != null) {
            return pool;
        }
        synchronized (LOCK) {
            if (workers == null) {
                int size = Math.max(1, threads - 1);
                AtomicInteger count = new AtomicInteger();
                workers = new ThreadPoolExecutor(size, size, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                        r -> new Worker(r, "aclip4j-kernel-" + count.incrementAndGet()));
                ((ThreadPoolExecutor) workers).allowCoreThreadTimeOut(true);
            }
            return workers;
        }
    }

    private static int fromProperty() {
        String value = System.getProperty(PROPERTY);
        if (value == null || value.isBlank()) {
            return Runtime.getRuntime().availableProcessors();
        }
        int n;
        try {
            n = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + value + " is not a thread count", e);
        }
        if (n < 1) {
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + n + " must be at least 1");
        }
        return n;
    }

    /** Marks pool threads so that a nested {@link #forEach} runs inline instead of waiting on its own pool. */
    private static final class Worker extends Thread {
        Worker(Runnable r, String name) {
            super(r, name);
            setDaemon(true);
        }
    }
}
