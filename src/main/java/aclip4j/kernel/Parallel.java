package aclip4j.kernel;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
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
 *
 * <p>A worker that has finished its part of a {@code forEach} spins for {@value #SPIN_PROPERTY} microseconds
 * (default {@value #DEFAULT_SPIN_MICROS}) waiting for the next one before it parks. A training step calls
 * {@code forEach} thousands of times, often for 50-200 microseconds of work, and waking a parked thread took
 * 30-60 microseconds on the 2-core machines here: with parking workers, four tasks of 65 microseconds ran no faster
 * on 2 threads than on 1 (BENCHMARKS.md, "Issue [4/7] on AMD EPYC Zen 5"). {@code -D}{@value #SPIN_PROPERTY}{@code =0} parks at
 * once (for machines whose cores are shared with other busy processes).
 */
public final class Parallel {
    public static final String PROPERTY = "aclip4j.threads";

    /** Microseconds an idle worker spins before it parks (see the class comment). */
    public static final String SPIN_PROPERTY = "aclip4j.spin.micros";
    static final int DEFAULT_SPIN_MICROS = 200;
    private static final long SPIN_NANOS = 1000L * intProperty(SPIN_PROPERTY, DEFAULT_SPIN_MICROS, 0,
            "a number of microseconds");

    private static final Object LOCK = new Object();
    private static volatile int threads = intProperty(PROPERTY, Runtime.getRuntime().availableProcessors(), 1,
            "a thread count");
    private static volatile Team team; // created lazily, replaced when the thread count changes

    private Parallel() {}

    /** Threads a {@link #forEach} may use, the caller included. */
    public static int threads() {
        return threads;
    }

    /** Sets the number of threads (at least 1); the old workers finish the job they hold and stop. */
    public static void setThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("thread count " + n + " must be at least 1");
        }
        synchronized (LOCK) {
            if (n == threads) {
                return;
            }
            Team old = team;
            team = null;
            threads = n;
            if (old != null) {
                old.stop();
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
     * serially, so kernels may nest without starving the pool; so does a call made while another thread's
     * {@code forEach} holds the workers.
     */
    public static void forEach(int tasks, IntConsumer body) {
        int n = Math.min(threads, tasks);
        if (n <= 1 || Thread.currentThread() instanceof Worker || !team().run(tasks, body, n - 1)) {
            for (int i = 0; i < tasks; i++) {
                body.accept(i);
            }
        }
    }

    private static Team team() {
        Team t = team;
        if (t != null) {
            return t;
        }
        synchronized (LOCK) {
            if (team == null) {
                team = new Team(Math.max(1, threads - 1));
            }
            return team;
        }
    }

    /**
     * The workers and the one job they share. A job is published by writing its fields and then the volatile
     * {@link #generation}; a worker that reads a new generation sees the job's fields.
     */
    private static final class Team {
        final Worker[] workers;
        /** Held by the thread whose job the workers run; a stopped team holds it for good. */
        final AtomicBoolean busy = new AtomicBoolean();
        final AtomicInteger next = new AtomicInteger();
        /** Workers that joined the current job and have not finished it. */
        final AtomicInteger pending = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        IntConsumer body;
        int tasks;
        int helpers;
        volatile long generation;
        volatile boolean stopped;

        Team(int size) {
            workers = new Worker[size];
            for (int i = 0; i < size; i++) {
                workers[i] = new Worker(this, i);
            }
            for (Worker w : workers) {
                w.start();
            }
        }

        /** Runs the job with {@code helpers} workers and the caller; false (nothing run) when the team is taken. */
        boolean run(int tasks, IntConsumer body, int helpers) {
            if (!busy.compareAndSet(false, true)) {
                return false;
            }
            try {
                this.body = body;
                this.tasks = tasks;
                this.helpers = Math.min(helpers, workers.length);
                next.set(0);
                failure.set(null);
                pending.set(this.helpers);
                generation++; // publishes the fields above
                for (int i = 0; i < this.helpers; i++) {
                    if (workers[i].parked) {
                        LockSupport.unpark(workers[i]);
                    }
                }
                drain();
                while (pending.get() != 0) { // the workers are finishing their last task, or waking up
                    Thread.onSpinWait();
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
                return true;
            } finally {
                this.body = null;
                busy.set(false);
            }
        }

        void drain() {
            IntConsumer b = body;
            try {
                for (int i = next.getAndIncrement(); i < tasks && failure.get() == null; i = next.getAndIncrement()) {
                    b.accept(i);
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        }

        /** Takes the team out of service once no job runs; its workers end. */
        void stop() {
            while (!busy.compareAndSet(false, true)) {
                Thread.onSpinWait();
            }
            stopped = true;
            for (Worker w : workers) {
                LockSupport.unpark(w);
            }
        }
    }

    /**
     * The int system property {@code name}, {@code fallback} when unset; a one-line error naming it when it is not a
     * number ({@code what} says what it should be) or below {@code min}.
     */
    public static int intProperty(String name, int fallback, int min, String what) {
        String value = System.getProperty(name);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        int n;
        try {
            n = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + name + "=" + value + " is not " + what, e);
        }
        if (n < min) {
            throw new IllegalArgumentException("-D" + name + "=" + n + " must be at least " + min);
        }
        return n;
    }

    /** A pool thread; a nested {@link #forEach} on it runs inline instead of waiting on its own pool. */
    private static final class Worker extends Thread {
        private final Team team;
        private final int index;
        volatile boolean parked;

        Worker(Team team, int index) {
            super("aclip4j-kernel-" + (index + 1));
            this.team = team;
            this.index = index;
            setDaemon(true);
        }

        @Override
        public void run() {
            long seen = 0; // the generation before the team's first job (read at start, it could be that job's)
            while (true) {
                long g = team.generation;
                if (g != seen) {
                    seen = g;
                    if (index < team.helpers) {
                        team.drain();
                        team.pending.decrementAndGet();
                    }
                    continue;
                }
                if (team.stopped) {
                    return;
                }
                long start = System.nanoTime();
                while (team.generation == seen && !team.stopped && System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                }
                if (team.generation == seen && !team.stopped) {
                    parked = true; // then re-read: a job published before this write is seen below, one after it
                    if (team.generation == seen && !team.stopped) { // finds parked set and unparks this thread
                        LockSupport.park(team);
                    }
                    parked = false;
                }
            }
        }
    }
}
