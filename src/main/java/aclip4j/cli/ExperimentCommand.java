package aclip4j.cli;

import aclip4j.tensor.Safetensors;
import aclip4j.kernel.Parallel;
import aclip4j.train.TrainConfig;
import aclip4j.train.Trainer;
import aclip4j.eval.Evaluator;
import aclip4j.viz.Metrics;
import aclip4j.viz.Png;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
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
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code aclip4j experiment}: the paper's comparisons, trained and evaluated end to end. */
@Command(name = "experiment", mixinStandardHelpOptions = true, subcommands = {ExperimentCommand.Table2.class},
        description = "Train and evaluate the paper's comparisons (see the subcommands).")
public final class ExperimentCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name an experiment: table2");
    }

    /**
     * The paper's Table 2 at laptop scale: every row trained with the same data, recipe, steps and seeds, each
     * evaluated with its EMA and its online towers. Results go to {@code OUT/<row>/seed-<k>/result.json} (written
     * atomically when a run ends), so a rerun skips the runs already done; then {@code OUT/table2.md} (mean ± std
     * over seeds) and {@code OUT/table2.png} (zero-shot top-1 with error bars).
     */
    @Command(name = "table2", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Train CLIP, random and attentive masking (1 and 2 views), A-CLIP and A-CLIP-eff with the",
                    "same data, recipe, steps and seeds; write a Markdown table and a bar chart. Resumable."})
    static final class Table2 implements Callable<Integer> {
        /** Row name → its train options; every row shares the recipe of {@link #recipe}. */
        static final Map<String, List<String>> ROWS = new LinkedHashMap<>();
        /** The paper's Table 2 rows, run when {@code --rows} is not given. */
        static final List<String> PAPER_ROWS;

        static {
            ROWS.put("clip", List.of("--variant", "clip"));
            ROWS.put("random-1x50", List.of("--variant", "clip-random", "--views", "1"));
            ROWS.put("random-2x50", List.of("--variant", "clip-random", "--views", "2"));
            ROWS.put("attentive-1x50", List.of("--variant", "aclip-attn", "--views", "1"));
            ROWS.put("attentive-2x50", List.of("--variant", "aclip-attn", "--views", "2"));
            ROWS.put("aclip", List.of("--variant", "aclip"));
            ROWS.put("aclip-eff", List.of("--variant", "aclip-eff"));
            PAPER_ROWS = List.copyOf(ROWS.keySet());
            // Ablations of attentive masking with two views (the paper's Table 2 side studies), by --rows only.
            List<String> attn2 = List.of("--variant", "aclip-attn", "--views", "2");
            ROWS.put("attentive-2x50-high", plus(attn2, "--strategy", "high"));
            ROWS.put("attentive-2x50-mixed", plus(attn2, "--strategy", "mixed"));
            ROWS.put("attentive-2x50-last-layer", plus(attn2, "--score-layers", "last"));
            ROWS.put("attentive-2x50-cell8", plus(attn2, "--mask-cell", "8"));
            ROWS.put("attentive-2x50-cell32", plus(attn2, "--mask-cell", "32"));
            ROWS.put("attentive-3x33", List.of("--variant", "aclip-attn", "--views", "3"));
            ROWS.put("attentive-4x25", List.of("--variant", "aclip-attn", "--views", "4"));
            ROWS.put("aclip-3x33", List.of("--variant", "aclip", "--views", "3"));
            ROWS.put("aclip-mixed", List.of("--variant", "aclip", "--strategy", "mixed"));
            ROWS.put("attentive-2x50-warm200", plus(attn2, "--mask-warmup", "200"));
            ROWS.put("aclip-warm200", List.of("--variant", "aclip", "--mask-warmup", "200"));
        }

        private static List<String> plus(List<String> base, String... more) {
            List<String> out = new ArrayList<>(base);
            out.addAll(List.of(more));
            return List.copyOf(out);
        }

        @Option(names = "--data", defaultValue = "scenes", description = "scenes | fashion-mnist:DIR | mnist:DIR | folder:DIR | wds:SHARDS | csv:FILE (default: ${DEFAULT-VALUE})")
        String data;

        @Option(names = "--seeds", defaultValue = "3", description = "seeds per row, 0 .. N-1 (default: ${DEFAULT-VALUE})")
        int seeds;

        @Option(names = "--steps", defaultValue = "1000", description = "optimiser steps per run (default: ${DEFAULT-VALUE})")
        int steps;

        @Option(names = "--batch", defaultValue = "32", description = "batch per step (default: ${DEFAULT-VALUE})")
        int batch;

        @Option(names = "--rows", split = ",", description = "rows to run, comma-separated (default: the paper's "
                + "clip, random-1x50, random-2x50, attentive-1x50, attentive-2x50, aclip, aclip-eff; ablations: "
                + "attentive-2x50-high, attentive-2x50-mixed, attentive-2x50-last-layer, attentive-2x50-cell8, "
                + "attentive-2x50-cell32, attentive-3x33, attentive-4x25, aclip-3x33, aclip-mixed, "
                + "attentive-2x50-warm200, aclip-warm200)")
        List<String> rows;

        @Option(names = "--eval-images", defaultValue = "2000", description = "held-out images per evaluation (default: ${DEFAULT-VALUE})")
        int evalImages;

        @Option(names = "--out", defaultValue = "runs/table2", description = "output folder (default: ${DEFAULT-VALUE})")
        Path out;

        /** The recipe every row shares: the demo's (RESULTS.md §1), views colour-augmented. */
        List<String> recipe(long seed) {
            return List.of("--data", data, "--steps", Integer.toString(steps), "--batch", Integer.toString(batch),
                    "--lr", "2e-3", "--m0", "0.9", "--augment", "on", "--seed", Long.toString(seed),
                    // the held-out split must hold --eval-images scenes (the built-in set makes as many as asked)
                    "--eval-images", Integer.toString(evalImages),
                    "--checkpoint-every", Integer.toString(steps));
        }

        @Override
        public Integer call() throws IOException {
            List<String> names = rows == null ? PAPER_ROWS : rows;
            for (String r : names) {
                if (!ROWS.containsKey(r)) {
                    throw new IllegalArgumentException("--rows: unknown row '" + r + "', expected one of "
                            + String.join(", ", ROWS.keySet()));
                }
            }
            if (seeds < 1 || steps < 1) {
                throw new IllegalArgumentException("--seeds and --steps must be at least 1, got " + seeds + ", " + steps);
            }
            Files.createDirectories(out);
            Map<String, List<JsonObject>> results = new LinkedHashMap<>();
            int total = names.size() * seeds, done = 0;
            for (String row : names) {
                List<JsonObject> list = new ArrayList<>();
                for (int seed = 0; seed < seeds; seed++) {
                    done++;
                    Path dir = out.resolve(row).resolve("seed-" + seed);
                    Path resultFile = dir.resolve("result.json");
                    JsonObject res;
                    if (Files.isRegularFile(resultFile)) {
                        res = JsonParser.parseString(Files.readString(resultFile)).getAsJsonObject();
                        System.out.printf(Locale.ROOT, "[%d/%d] %s seed %d: done before, kept%n", done, total, row, seed);
                    } else {
                        res = trainOne(row, seed, dir);
                        Safetensors.writeAtomically(resultFile, (GSON.toJson(res) + "\n").getBytes(StandardCharsets.UTF_8));
                        System.out.printf(Locale.ROOT, "[%d/%d] %s seed %d: zero-shot top-1 %.1f%%, %.0f s%n", done,
                                total, row, seed, 100 * res.getAsJsonObject("main").get("zero_shot_top1").getAsDouble(),
                                res.get("seconds").getAsDouble());
                    }
                    list.add(res);
                }
                results.put(row, list);
            }
            String table = table(results);
            Safetensors.writeAtomically(out.resolve("table2.md"), table.getBytes(StandardCharsets.UTF_8));
            Png.headless();
            Png.write(chart(results), out.resolve("table2.png"));
            java.awt.image.BufferedImage curves = objectShareCurves(out, names, seeds, steps);
            if (curves != null) {
                Png.write(curves, out.resolve("object_share.png"));
            }
            System.out.print(table);
            System.out.println("wrote " + out.resolve("table2.md") + ", " + out.resolve("table2.png")
                    + (curves != null ? " and " + out.resolve("object_share.png") : ""));
            return 0;
        }

        private JsonObject trainOne(String row, long seed, Path dir) throws IOException {
            if (Files.exists(dir)) { // a run that did not finish: start it again
                try (var paths = Files.walk(dir)) {
                    for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.delete(p);
                    }
                }
            }
            List<String> args = new ArrayList<>(recipe(seed));
            args.addAll(ROWS.get(row));
            TrainCommand t = new TrainCommand();
            new CommandLine(t).setOverwrittenOptionsAllowed(true).parseArgs(args.toArray(new String[0]));
            TrainConfig cfg = t.config();
            Parallel.setThreads(cfg.threads());
            PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
            long t0 = System.nanoTime();
            Trainer trainer = Trainer.start(cfg, dir, quiet);
            trainer.run(Long.MAX_VALUE);
            double seconds = (System.nanoTime() - t0) / 1e9;
            boolean ema = !trainer.model().ema.isEmpty();
            JsonObject res = new JsonObject();
            res.addProperty("row", row);
            res.addProperty("seed", seed);
            res.addProperty("seconds", seconds);
            res.add("main", strict(trainer.evaluate(evalImages, ema).toJson()));
            res.add("online", strict(trainer.evaluate(evalImages, false).toJson()));
            double[] share = objectShare(dir.resolve("metrics.jsonl"), steps);
            if (share != null) {
                res.addProperty("object_kept", share[0]);
                res.addProperty("object_kept_random", share[1]);
            }
            return res;
        }

        /** Mean object shares over the last tenth of the steps, or null without them. */
        static double[] objectShare(Path metrics, int steps) throws IOException {
            Metrics m = Metrics.read(metrics);
            double from = steps - Math.max(1, steps / 10) + 1;
            double kept = m.series("object_kept").mean(from, steps);
            return Double.isNaN(kept) ? null : new double[] {kept, m.series("object_kept_random").mean(from, steps)};
        }

        /** NaN (no classes to classify) becomes JSON null. */
        private static JsonObject strict(JsonObject o) {
            JsonObject s = new JsonObject();
            o.entrySet().forEach(e -> {
                if (e.getValue().isJsonPrimitive() && e.getValue().getAsJsonPrimitive().isNumber()
                        && !Double.isFinite(e.getValue().getAsDouble())) {
                    s.add(e.getKey(), com.google.gson.JsonNull.INSTANCE);
                } else {
                    s.add(e.getKey(), e.getValue());
                }
            });
            return s;
        }

        static String table(Map<String, List<JsonObject>> results) {
            double clipSeconds = results.containsKey("clip") ? stat(results.get("clip"), null, "seconds")[0] : Double.NaN;
            StringBuilder sb = new StringBuilder();
            sb.append("| row | zero-shot top-1 | top-5 | image→text R@1 | text→image R@1 | online top-1 | object kept"
                    + " (random) | seconds | × CLIP |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for (Map.Entry<String, List<JsonObject>> e : results.entrySet()) {
                List<JsonObject> l = e.getValue();
                double[] sec = stat(l, null, "seconds");
                sb.append("| ").append(e.getKey())
                        .append(" | ").append(pct(stat(l, "main", "zero_shot_top1")))
                        .append(" | ").append(pct(stat(l, "main", "zero_shot_top5")))
                        .append(" | ").append(pct(stat(l, "main", "i2t_r1")))
                        .append(" | ").append(pct(stat(l, "main", "t2i_r1")))
                        .append(" | ").append(pct(stat(l, "online", "zero_shot_top1")))
                        .append(" | ").append(l.get(0).has("object_kept")
                                ? pct(stat(l, null, "object_kept")) + " (" + pct(stat(l, null, "object_kept_random")) + ")"
                                : "—")
                        .append(" | ").append(String.format(Locale.ROOT, "%.0f", sec[0]))
                        .append(" | ").append(Double.isFinite(clipSeconds)
                                ? String.format(Locale.ROOT, "%.2f", sec[0] / clipSeconds) : "—")
                        .append(" |\n");
            }
            List<JsonObject> first = results.values().iterator().next();
            int n = first.size();
            JsonObject main = first.get(0).getAsJsonObject("main");
            sb.append("\nMean ± standard deviation over ").append(n).append(n == 1 ? " seed" : " seeds")
                    .append(main.has("images") ? " on " + main.get("images").getAsInt() + " held-out images" : "")
                    .append("; EMA towers where the row has them (\"online top-1\": the online towers).\n");
            return sb.toString();
        }

        /** Mean and standard deviation over seeds of {@code key} (inside {@code group} when not null). */
        static double[] stat(List<JsonObject> l, String group, String key) {
            double s = 0, s2 = 0;
            int n = 0;
            for (JsonObject o : l) {
                JsonObject g = group == null ? o : o.getAsJsonObject(group);
                if (g.has(key) && !g.get(key).isJsonNull()) {
                    double v = g.get(key).getAsDouble();
                    s += v;
                    s2 += v * v;
                    n++;
                }
            }
            if (n == 0) {
                return new double[] {Double.NaN, Double.NaN};
            }
            double mean = s / n;
            // one seed has no spread to state: NaN, printed as the mean alone
            return new double[] {mean, n > 1 ? Math.sqrt(Math.max(0, (s2 - n * mean * mean) / (n - 1))) : Double.NaN};
        }

        private static String pct(double[] ms) {
            if (!Double.isFinite(ms[0])) {
                return "—";
            }
            return Double.isFinite(ms[1]) ? String.format(Locale.ROOT, "%.1f ± %.1f %%", 100 * ms[0], 100 * ms[1])
                    : String.format(Locale.ROOT, "%.1f %%", 100 * ms[0]);
        }

        static java.awt.image.BufferedImage chart(Map<String, List<JsonObject>> results) {
            CategoryChart c = new CategoryChartBuilder().width(900).height(480)
                    .title("Table 2 at laptop scale: zero-shot top-1 (mean ± std over seeds)")
                    .xAxisTitle("row").yAxisTitle("zero-shot top-1 (%)").build();
            List<String> x = new ArrayList<>(results.keySet());
            List<Double> y = new ArrayList<>(), err = new ArrayList<>();
            for (List<JsonObject> l : results.values()) {
                double[] ms = stat(l, "main", "zero_shot_top1");
                y.add(Double.isFinite(ms[0]) ? 100 * ms[0] : 0);
                err.add(Double.isFinite(ms[1]) ? 100 * ms[1] : 0);
            }
            c.addSeries("zero-shot top-1", x, y, err);
            c.getStyler().setLegendVisible(false);
            return BitmapEncoder.getBufferedImage(c);
        }

        /**
         * The share of the captioned object the kept tokens hold over training, per masked row (mean over seeds, in
         * 20 windows of steps), with random masks of the same size as a dashed line; null when no row logged it.
         */
        static java.awt.image.BufferedImage objectShareCurves(Path out, List<String> names, int seeds, int steps)
                throws IOException {
            org.knowm.xchart.XYChart c = new org.knowm.xchart.XYChartBuilder().width(900).height(480)
                    .title("Share of the captioned object in the kept tokens (mean over seeds)")
                    .xAxisTitle("step").yAxisTitle("object kept (%)").build();
            int windows = Math.min(20, steps), added = 0;
            double[] x = new double[windows];
            double[] random = new double[windows];
            double lowRandom = Double.POSITIVE_INFINITY, highRandom = Double.NEGATIVE_INFINITY;
            for (String row : names) {
                double[] y = new double[windows];
                boolean any = false;
                List<Metrics> runs = new ArrayList<>(); // each seed's metrics.jsonl, read once
                for (int seed = 0; seed < seeds; seed++) {
                    Path m = out.resolve(row).resolve("seed-" + seed).resolve("metrics.jsonl");
                    if (Files.isRegularFile(m)) {
                        runs.add(Metrics.read(m));
                    }
                }
                for (int w = 0; w < windows; w++) {
                    double from = (double) w * steps / windows + 1, to = (double) (w + 1) * steps / windows;
                    x[w] = to;
                    double sum = 0, sumRandom = 0;
                    int n = 0;
                    for (Metrics metrics : runs) {
                        double kept = metrics.series("object_kept").mean(from, to);
                        if (Double.isFinite(kept)) {
                            sum += kept;
                            sumRandom += metrics.series("object_kept_random").mean(from, to);
                            n++;
                        }
                    }
                    if (n > 0) {
                        y[w] = 100 * sum / n;
                        random[w] = 100 * sumRandom / n;
                        lowRandom = Math.min(lowRandom, random[w]);
                        highRandom = Math.max(highRandom, random[w]);
                        any = true;
                    }
                }
                if (any) {
                    c.addSeries(row, x.clone(), y);
                    added++;
                }
            }
            if (added == 0) {
                return null;
            }
            if (highRandom - lowRandom < 3) { // one kept fraction for every row: one random baseline
                org.knowm.xchart.XYSeries r = c.addSeries("random masks (same size)", x.clone(), random);
                r.setLineStyle(new java.awt.BasicStroke(2f, java.awt.BasicStroke.CAP_BUTT,
                        java.awt.BasicStroke.JOIN_ROUND, 10f, new float[] {6f, 4f}, 0f));
                r.setLineColor(java.awt.Color.GRAY);
            } else {
                c.setTitle(c.getTitle() + " (random masks of each row's size: the table)");
            }
            c.getStyler().setYAxisMin(0.0).setYAxisMax(100.0);
            return BitmapEncoder.getBufferedImage(c);
        }

        private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();
    }
}
