package aclip4j.cli;

import aclip4j.kernel.FmaPeak;
import aclip4j.kernel.KernelTimes;
import aclip4j.kernel.Parallel;
import aclip4j.train.StepFlops;
import aclip4j.train.TrainConfig;
import aclip4j.train.Trainer;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code aclip4j bench}: whole training steps (EMA update, EMA forward with scores, masking, both towers forward and
 * backward, losses, AdamW) timed per backend and variant, against the machine's FMA ceiling measured in the same run.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Time whole training steps of CLIP, A-CLIP and A-CLIP-eff on each backend: seconds per step",
                "(median after warm-up), model GFLOP (StepFlops), GFLOP/s, % of the FMA peak measured in the same",
                "run, A-CLIP/CLIP ratios, the masking share of a step, the Java heap it allocates, and where each",
                "SIMD step went (matmul, with",
                "its own GFLOP/s and % of the peak, attention, LayerNorm, GELU, making the batches, the optimiser's"
                + " side, the metrics and the rest)."})
public final class BenchCommand implements Callable<Integer> {
    @Option(names = "--model", defaultValue = "tiny", description = "tiny | vit-s16 | vit-s16-timm | vit-b16 (default: ${DEFAULT-VALUE})")
    String model;

    @Option(names = "--batch", defaultValue = "32", description = "batch per step (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--threads", description = "worker threads (default: all cores)")
    Integer threads;

    @Option(names = "--variants", split = ",", defaultValue = "clip,aclip,aclip-eff",
            description = "variants, comma-separated (default: ${DEFAULT-VALUE})")
    List<String> variants;

    @Option(names = "--backends", split = ",", defaultValue = "simd",
            description = "simd, nd4j and/or pytorch (the CLIP step in PyTorch through DJL: a build with the pytorch"
                    + " profile, ACLIP4J_MAVEN_PROFILES=pytorch) (default: ${DEFAULT-VALUE})")
    List<String> backends;

    @Option(names = "--steps", defaultValue = "5", description = "measured steps per run, after the warm-up (default: ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--warmup", defaultValue = "2", description = "steps run first and not measured (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--json", description = "end with one JSON object on the last line")
    boolean json;

    @Option(names = "--interleave", description = "run the simd and nd4j rows step by step in turn (one step of each,"
            + " then the next), so a machine whose speed drifts slows them alike; also prints each variant's nd4j / simd"
            + " ratio as the median of the paired steps' ratios")
    boolean interleave;

    /**
     * One measured run; {@code kernels} is null where the Java kernels do not run (nd4j, a peer); {@code heapAlloc}:
     * bytes allocated on the Java heap per step, -1 where not measured.
     */
    record Row(String backend, String variant, double seconds, double gflop, double masking, double traffic,
               Kernels kernels, int textPositions, double heapAlloc) {
        Row(String backend, String variant, double seconds, double gflop, double masking, double traffic,
            Kernels kernels) {
            this(backend, variant, seconds, gflop, masking, traffic, kernels, 0, -1);
        }

        double gflops() {
            return gflop / seconds;
        }
    }

    /**
     * Median seconds per step in each kernel family ({@link KernelTimes}), the matmuls' GFLOP per step, and the
     * trainer's timed parts: making the batches ({@code data}), the optimiser's side ({@code update}: finite checks,
     * EMA update, micro-batch sums, AdamW) and the object-share metric ({@code metrics}); the rest of the step is the
     * host's other work (losses, heads' small ops, token selection, gathers, embeddings, collections).
     */
    record Kernels(double matmul, double attention, double layernorm, double activation, double matmulGflop,
                   double data, double update, double metrics) {
        Kernels(double matmul, double attention, double layernorm, double activation, double matmulGflop) {
            this(matmul, attention, layernorm, activation, matmulGflop, 0, 0, 0);
        }

        double rest(double step) {
            return step - matmul - attention - layernorm - activation - data - update - metrics;
        }

        /** The matmuls' own GFLOP/s. */
        double matmulGflops() {
            return matmulGflop / matmul;
        }
    }

    @Override
    public Integer call() throws IOException {
        if (steps < 1 || warmup < 0 || batch < 2) {
            throw new IllegalArgumentException("need --steps >= 1, --warmup >= 0 and --batch >= 2, got " + steps + ", "
                    + warmup + ", " + batch);
        }
        int T = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        if (T < 1) {
            throw new IllegalArgumentException("--threads must be at least 1, got " + T);
        }
        for (String backend : backends) {
            if (BenchPeer.isPeer(backend)) {
                BenchPeer.require(backend);
            } else {
                aclip4j.Backend.parse(backend);
            }
        }
        Parallel.setThreads(T);
        KernelTimes.enable(true);
        try {
            return run(T);
        } finally {
            KernelTimes.enable(false);
        }
    }

    private Integer run(int T) throws IOException {
        System.out.printf(Locale.ROOT, "bench: model %s, batch %d, %d threads, %d warm-up + %d measured steps, %s%n",
                model, batch, T, warmup, steps, aclip4j.kernel.Lanes.preferred());
        double peakBefore = FmaPeak.gflops(T);
        System.out.printf(Locale.ROOT, "FMA peak (%d threads): %.1f GFLOP/s%n", T, peakBefore);
        // a narrower -Daclip4j.simd.bits than the CPU's preferred width: the ceiling at the kernels' width too
        boolean narrow = aclip4j.kernel.Lanes.BITS != 0
                && aclip4j.kernel.Lanes.LENGTH != jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
        double widthBefore = narrow ? FmaPeak.gflopsAtKernelWidth(T) : peakBefore;
        if (narrow) {
            System.out.printf(Locale.ROOT, "FMA peak at the kernels' %d-bit width (%d threads): %.1f GFLOP/s%n",
                    aclip4j.kernel.Lanes.BITS, T, widthBefore);
        }
        List<Row> rows = new ArrayList<>();
        List<TrainerRun> runs = new ArrayList<>();
        try {
            for (String backend : backends) {
                for (String variant : variants) {
                    if (BenchPeer.isPeer(backend)) {
                        continue;
                    }
                    TrainerRun run = new TrainerRun(backend, variant, T);
                    if (interleave) {
                        runs.add(run);
                    } else {
                        try (run) {
                            for (int i = 0; i < warmup + steps; i++) {
                                run.step(i >= warmup);
                            }
                            rows.add(print(run.row()));
                        }
                        // the finished run's arrays (gigabytes at vit-s16) are collected here, untimed, rather than
                        // by collections inside the next variant's steps
                        System.gc();
                    }
                }
            }
            for (int i = 0; i < warmup + steps; i++) { // --interleave: one step of every run in turn
                for (TrainerRun run : runs) {
                    run.step(i >= warmup);
                }
            }
            for (TrainerRun run : runs) {
                rows.add(print(run.row()));
            }
        } finally {
            for (TrainerRun run : runs) {
                run.close();
            }
        }
        for (String backend : backends) {
            if (!BenchPeer.isPeer(backend)) {
                continue;
            }
            for (String variant : variants) {
                if (!variant.equals("clip")) {
                    System.out.printf(Locale.ROOT, "  %-7s %-10s skipped: the peer runs the clip step only%n",
                            backend, variant);
                    continue;
                }
                rows.add(print(measurePeer(backend, variant, T, rows)));
            }
        }
        double peakAfter = FmaPeak.gflops(T);
        double peak = Math.max(peakBefore, peakAfter);
        System.out.printf(Locale.ROOT, "FMA peak again: %.1f GFLOP/s; %% of peak below uses the larger, %.1f%n",
                peakAfter, peak);
        double widthPeak = peak;
        if (narrow) {
            widthPeak = Math.max(widthBefore, FmaPeak.gflopsAtKernelWidth(T));
            System.out.printf(Locale.ROOT, "FMA peak at the kernels' %d-bit width, the larger of two: %.1f GFLOP/s%n",
                    aclip4j.kernel.Lanes.BITS, widthPeak);
        }
        String implausible = implausiblePeak(rows, widthPeak);
        if (implausible != null) {
            System.out.println(implausible);
        }
        System.out.println();
        System.out.println("| backend | variant | s/step | GFLOP/step | GFLOP/s | % of FMA peak | masking % of step"
                + " | heap↔ND4J MB/step | Java heap allocated MB/step |"
                + (narrow ? " % of FMA peak at " + aclip4j.kernel.Lanes.BITS + " bits |" : ""));
        System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|" + (narrow ? "---:|" : ""));
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "| %s | %s | %.3f | %.2f | %.1f | %.1f %% | %.2f %% | %.1f | %s |%s%n",
                    r.backend, r.variant, r.seconds, r.gflop, r.gflops(), 100 * r.gflops() / peak,
                    100 * r.masking / r.seconds, r.traffic / 1e6,
                    r.heapAlloc < 0 ? "-" : String.format(Locale.ROOT, "%.1f", r.heapAlloc / 1e6),
                    narrow && r.backend.equals("simd")
                            ? String.format(Locale.ROOT, " %.1f %% |", 100 * r.gflops() / widthPeak) : narrow ? " |" : "");
        }
        printKernels(rows, widthPeak);
        JsonObject ratios = new JsonObject();
        for (String backend : backends) {
            Row clip = find(rows, backend, "clip");
            JsonObject o = new JsonObject();
            for (String v : List.of("aclip", "aclip-eff")) {
                Row x = find(rows, backend, v);
                if (clip != null && x != null) {
                    double ratio = x.seconds / clip.seconds;
                    o.addProperty(v.replace('-', '_') + "_over_clip", ratio);
                    System.out.printf(Locale.ROOT, "%s: %s / clip = %.2f%n", backend, v, ratio);
                }
            }
            ratios.add(backend, o);
        }
        JsonObject peers = new JsonObject();
        Row simdClip = find(rows, "simd", "clip");
        for (String backend : backends) {
            Row peerClip = find(rows, backend, "clip");
            if (BenchPeer.isPeer(backend) && simdClip != null && peerClip != null) {
                double speedup = peerClip.seconds / simdClip.seconds;
                peers.addProperty(backend, speedup);
                System.out.printf(Locale.ROOT, "clip step: %s s / simd s = %.2f%n", backend, speedup);
            }
        }
        JsonObject paired = new JsonObject();
        for (String variant : variants) {
            TrainerRun simd = null, nd = null;
            for (TrainerRun run : runs) {
                if (run.variant.equals(variant)) {
                    simd = run.backend.equals("simd") ? run : simd;
                    nd = run.backend.equals("nd4j") ? run : nd;
                }
            }
            if (simd != null && nd != null) {
                List<Double> r = new ArrayList<>();
                for (int i = 0; i < simd.seconds.size(); i++) {
                    r.add(nd.seconds.get(i) / simd.seconds.get(i));
                }
                paired.addProperty(variant, median(r));
                System.out.printf(Locale.ROOT, "%s: nd4j / simd = %.2f (median of %d paired steps, %.2f to %.2f)%n",
                        variant, median(r), r.size(), java.util.Collections.min(r), java.util.Collections.max(r));
            }
        }
        if (json) {
            JsonObject out = new JsonObject();
            out.addProperty("peak_gflops", peak);
            out.addProperty("threads", T);
            out.addProperty("model", model);
            out.addProperty("batch", batch);
            out.addProperty("simd_bits", aclip4j.kernel.Lanes.BITS);
            out.addProperty("peak_gflops_kernel_width", widthPeak);
            JsonArray results = new JsonArray();
            double maskShare = 0;
            int masked = 0;
            for (Row r : rows) {
                JsonObject o = new JsonObject();
                o.addProperty("backend", r.backend);
                o.addProperty("variant", r.variant);
                o.addProperty("seconds", r.seconds);
                o.addProperty("gflop", r.gflop);
                o.addProperty("gflops", r.gflops());
                o.addProperty("pct_peak", 100 * r.gflops() / peak);
                o.addProperty("pct_peak_kernel_width", 100 * r.gflops() / widthPeak);
                o.addProperty("masking_seconds", r.masking);
                o.addProperty("traffic_bytes", r.traffic);
                o.addProperty("text_positions", r.textPositions);
                if (r.heapAlloc >= 0) {
                    o.addProperty("heap_alloc_bytes", r.heapAlloc);
                } else {
                    o.add("heap_alloc_bytes", com.google.gson.JsonNull.INSTANCE);
                }
                if (r.kernels != null) {
                    Kernels k = r.kernels;
                    JsonObject ks = new JsonObject();
                    ks.addProperty("matmul", k.matmul());
                    ks.addProperty("attention", k.attention());
                    ks.addProperty("layernorm", k.layernorm());
                    ks.addProperty("activation", k.activation());
                    ks.addProperty("data", k.data());
                    ks.addProperty("update", k.update());
                    ks.addProperty("metrics", k.metrics());
                    ks.addProperty("rest", k.rest(r.seconds));
                    o.add("kernel_seconds", ks);
                    o.addProperty("matmul_gflops", k.matmulGflops());
                    o.addProperty("matmul_pct_peak_kernel_width", 100 * k.matmulGflops() / widthPeak);
                }
                results.add(o);
                if (!r.variant.equals("clip") && r.backend.equals("simd")) {
                    maskShare += 100 * r.masking / r.seconds;
                    masked++;
                }
            }
            out.add("results", results);
            out.add("ratios", ratios);
            out.add("peer_over_simd_clip", peers);
            out.add("nd4j_over_simd_paired", paired); // empty unless --interleave ran both backends
            if (masked > 0) {
                out.addProperty("masking_overhead_pct", maskShare / masked);
            } else {
                out.add("masking_overhead_pct", JsonNull.INSTANCE);
            }
            Row nd = find(rows, "nd4j", "aclip");
            if (nd == null) {
                nd = rows.stream().filter(x -> x.backend.equals("nd4j")).findFirst().orElse(null);
            }
            if (nd != null) {
                out.addProperty("nd4j_traffic_bytes_per_step", nd.traffic);
            } else {
                out.add("nd4j_traffic_bytes_per_step", JsonNull.INSTANCE);
            }
            System.out.println(out);
        }
        return 0;
    }

    private static Row find(List<Row> rows, String backend, String variant) {
        for (Row r : rows) {
            if (r.backend.equals(backend) && r.variant.equals(variant)) {
                return r;
            }
        }
        return null;
    }

    /**
     * A peer's CLIP step ({@link BenchPeer}) on the preset's towers with {@link aclip4j.tower.Init}'s weights, timed
     * like {@link #measure}; its GFLOP are StepFlops' of the same clip step, so GFLOP/s compare row to row. Its text
     * tower runs the caption positions the SIMD CLIP run's batches had (the full context without one).
     */
    private Row measurePeer(String backend, String variant, int T, List<Row> measured) {
        List<String> args = new ArrayList<>(List.of("--variant", variant, "--model", model, "--batch",
                Integer.toString(batch), "--threads", Integer.toString(T)));
        TrainCommand t = new TrainCommand();
        new picocli.CommandLine(t).parseArgs(args.toArray(new String[0]));
        TrainConfig cfg = t.config();
        var v = aclip4j.tower.Presets.vision(model);
        var tx = model.equals("tiny") ? aclip4j.tower.Presets.text("tiny", 1000) : aclip4j.tower.Presets.text("clip-base");
        var h = aclip4j.tower.Presets.heads(model.equals("tiny") ? "tiny" : "paper", v.width());
        var rng = new java.util.SplittableRandom(1);
        List<Double> seconds = new ArrayList<>();
        Row simdClip = find(measured, "simd", "clip");
        int positions = simdClip != null && simdClip.textPositions > 0 ? simdClip.textPositions : tx.context();
        try (BenchPeer peer = BenchPeer.load(backend, v, tx, aclip4j.tower.Init.vision(v, rng),
                aclip4j.tower.Init.text(tx, rng), batch, T, positions)) {
            System.out.println("  " + backend + ": " + peer.describe());
            for (int i = 0; i < warmup + steps; i++) {
                long t0 = System.nanoTime();
                peer.step();
                double s = (System.nanoTime() - t0) / 1e9;
                if (i >= warmup) {
                    seconds.add(s);
                }
            }
        }
        double gflop = StepFlops.step(cfg, v, tx, h, v.tokens(), v.imageSize(), positions) / 1e9;
        return new Row(backend, variant, median(seconds), gflop, 0, 0, null, positions, -1);
    }

    /**
     * A warning line when a SIMD step's matmuls ran faster than the FMA ceiling measured for their width — the ceiling
     * is then too low (the machine was busy while it was measured) and every % of it printed is too high — or null.
     */
    static String implausiblePeak(List<Row> rows, double widthPeak) {
        for (Row r : rows) {
            if (r.backend.equals("simd") && r.kernels != null && r.kernels.matmul() > 0) {
                double rate = r.kernels.matmulGflops();
                if (rate > widthPeak) {
                    return String.format(Locale.ROOT, "warning: the %s step's matmuls ran at %.1f GFLOP/s, above the"
                            + " measured FMA peak of %.1f: the peak was measured on a busy machine, and the %% of it"
                            + " below is too high", r.variant, rate, widthPeak);
                }
            }
        }
        return null;
    }

    /**
     * Where each SIMD row's step went: seconds per kernel family and the rest, and the matmuls' own rate against
     * the FMA peak at the kernels' width.
     */
    private static void printKernels(List<Row> rows, double peak) {
        if (rows.stream().noneMatch(r -> r.kernels != null)) {
            return;
        }
        System.out.println();
        System.out.println("| backend | variant | matmul s/step (GFLOP/s, % of peak) | attention s | LayerNorm s"
                + " | GELU s | data s | update s | metrics s | rest of the step s |");
        System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (Row r : rows) {
            Kernels k = r.kernels;
            if (k == null) {
                continue;
            }
            double rate = k.matmulGflops();
            System.out.printf(Locale.ROOT, "| %s | %s | %.3f (%.1f, %.1f %%) | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f"
                    + " | %.3f |%n", r.backend, r.variant, k.matmul(), rate, 100 * rate / peak, k.attention(),
                    k.layernorm(), k.activation(), k.data(), k.update(), k.metrics(), k.rest(r.seconds));
        }
    }

    /**
     * Bytes the JVM's live threads have allocated on the Java heap so far (HotSpot's per-thread counters: the step's
     * thread and the kernels' workers, which live for the run), or -1 where the JVM does not count them.
     */
    static long heapAllocated() {
        if (!(java.lang.management.ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean mx)
                || !mx.isThreadAllocatedMemorySupported() || !mx.isThreadAllocatedMemoryEnabled()) {
            return -1;
        }
        long sum = 0;
        for (long b : mx.getThreadAllocatedBytes(mx.getAllThreadIds())) {
            if (b > 0) { // -1: a thread that ended meanwhile
                sum += b;
            }
        }
        return sum;
    }

    /** Prints a row's line as it is measured. */
    private static Row print(Row r) {
        System.out.printf(Locale.ROOT, "  %-7s %-10s %8.3f s/step  %7.2f GFLOP  %6.1f GFLOP/s  masking %.1f %%"
                + "  heap<->ND4J %.1f MB/step  text positions %d%n", r.backend, r.variant, r.seconds, r.gflop,
                r.gflops(), 100 * r.masking / r.seconds, r.traffic / 1e6, r.textPositions);
        return r;
    }

    /** One backend and variant: a trainer on a temporary folder, stepped and timed one step at a time. */
    private final class TrainerRun implements AutoCloseable {
        final String backend, variant;
        private final Path dir;
        private final TrainConfig cfg;
        private final Trainer trainer;
        final List<Double> seconds = new ArrayList<>();
        private final List<Double> masking = new ArrayList<>();
        private final List<Double> traffic = new ArrayList<>();
        private final List<double[]> kernels = new ArrayList<>();
        private final List<Double> textPositions = new ArrayList<>(); // each measured step's
        private final List<Double> heapAlloc = new ArrayList<>();
        private int kept;

        TrainerRun(String backend, String variant, int T) throws IOException {
            this.backend = backend;
            this.variant = variant;
            List<String> args = new ArrayList<>(List.of("--variant", variant, "--model", model, "--backend", backend,
                    "--batch", Integer.toString(batch), "--threads", Integer.toString(T), "--steps",
                    Integer.toString(warmup + steps), "--warmup", "0", "--train-images", Integer.toString(4 * batch),
                    "--eval-images", "1", "--checkpoint-every", Integer.toString(warmup + steps + 1)));
            TrainCommand t = new TrainCommand();
            new picocli.CommandLine(t).parseArgs(args.toArray(new String[0]));
            cfg = t.config();
            PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
            dir = Files.createTempDirectory("aclip4j-bench-");
            try {
                trainer = Trainer.start(cfg, dir, quiet);
            } catch (RuntimeException | IOException e) {
                delete(dir); // nothing left behind when the run cannot start
                throw e;
            }
        }

        /**
         * One training step; its time, masking time, heap↔ND4J bytes and Java heap allocation are kept when
         * {@code record}.
         */
        void step(boolean record) {
            long bytes0 = aclip4j.nd.Traffic.total();
            long heap0 = heapAllocated();
            KernelTimes.reset();
            long t0 = System.nanoTime();
            JsonObject row = trainer.benchStep();
            double s = (System.nanoTime() - t0) / 1e9;
            long bytes = aclip4j.nd.Traffic.total() - bytes0;
            long heap1 = heapAllocated();
            kept = row.get("kept_tokens").getAsInt();
            if (record) {
                if (heap0 >= 0 && heap1 >= 0) {
                    heapAlloc.add((double) (heap1 - heap0));
                }
                textPositions.add((double) row.get("text_positions").getAsInt());
                seconds.add(s);
                masking.add(row.get("masking_seconds").getAsDouble());
                traffic.add((double) bytes);
                kernels.add(new double[] {KernelTimes.seconds(KernelTimes.Family.MATMUL),
                    KernelTimes.seconds(KernelTimes.Family.ATTENTION), KernelTimes.seconds(KernelTimes.Family.LAYERNORM),
                    KernelTimes.seconds(KernelTimes.Family.ACTIVATION), KernelTimes.matmulFlops() / 1e9,
                    KernelTimes.seconds(KernelTimes.Family.DATA), KernelTimes.seconds(KernelTimes.Family.UPDATE),
                    KernelTimes.seconds(KernelTimes.Family.METRICS)});
            }
        }

        Row row() {
            var m = trainer.model();
            // the text tower's work follows each batch's longest caption: the median over the steps run
            int positions = (int) Math.round(median(textPositions));
            double gflop = StepFlops.step(cfg, m.vision, m.text, m.heads, kept, trainer.emaImageSize(), positions) / 1e9;
            Kernels k = null;
            if (backend.equals("simd")) {
                double[] med = new double[8];
                for (int j = 0; j < med.length; j++) {
                    List<Double> xs = new ArrayList<>();
                    for (double[] x : kernels) {
                        xs.add(x[j]);
                    }
                    med[j] = median(xs);
                }
                k = new Kernels(med[0], med[1], med[2], med[3], med[4], med[5], med[6], med[7]);
            }
            return new Row(backend, variant, median(seconds), gflop, median(masking), median(traffic), k, positions,
                    heapAlloc.isEmpty() ? -1 : median(heapAlloc));
        }

        @Override
        public void close() throws IOException {
            delete(dir);
        }

        private static void delete(Path dir) throws IOException {
            try (var files = Files.walk(dir)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        s.sort(null);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }
}
