package aclip4j.viz;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A run's {@code metrics.jsonl} read back for plotting: one JSON object per line with a numeric {@code step}
 * (written by the trainer, one line per optimiser step; evaluation columns {@code eval_*} only on steps where an
 * evaluation ran).
 *
 * @param file the file read (for messages)
 * @param rows the lines in file order
 */
public record Metrics(Path file, List<JsonObject> rows) {
    /** The file of a run: {@code DIR/metrics.jsonl}, or the path itself when it names a file. */
    public static Path locate(Path run) {
        return Files.isDirectory(run) ? run.resolve("metrics.jsonl") : run;
    }

    /**
     * Reads and checks every line. Blank lines are skipped; anything else that is not a JSON object with a numeric
     * {@code step} is refused with the file name and line number.
     */
    public static Metrics read(Path run) throws IOException {
        Path file = locate(run);
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + " not found: --run must be a training run directory holding"
                    + " metrics.jsonl (written by aclip4j train --out DIR)");
        }
        List<JsonObject> rows = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            String where = file + " line " + (i + 1);
            JsonElement e;
            try {
                e = JsonParser.parseString(line); // lenient: earlier runs wrote NaN (momentum without EMA)
            } catch (JsonParseException ex) {
                throw new IllegalArgumentException(where + " is not valid JSON (" + rootMessage(ex) + "): "
                        + abbreviate(line));
            }
            if (!e.isJsonObject()) {
                throw new IllegalArgumentException(where + " is not a JSON object: " + abbreviate(line));
            }
            JsonObject o = e.getAsJsonObject();
            if (number(o, "step") == null) {
                throw new IllegalArgumentException(where + " has no numeric \"step\": " + abbreviate(line));
            }
            rows.add(o);
        }
        if (rows.isEmpty()) {
            throw new IllegalArgumentException(file + " is empty: the run has not finished a step yet");
        }
        return new Metrics(file, List.copyOf(rows));
    }

    /** One curve: the steps where {@code name} holds a finite number, and those numbers. */
    public record Series(String name, double[] steps, double[] values) {
        public boolean isEmpty() {
            return steps.length == 0;
        }

        /** The mean of the values at steps {@code from <= step <= to}; NaN when there are none. */
        public double mean(double from, double to) {
            double sum = 0;
            int n = 0;
            for (int i = 0; i < steps.length; i++) {
                if (steps[i] >= from && steps[i] <= to) {
                    sum += values[i];
                    n++;
                }
            }
            return n == 0 ? Double.NaN : sum / n;
        }

        /** True when every value is 0 (a loss term the run does not use). */
        public boolean allZero() {
            for (double v : values) {
                if (v != 0) {
                    return false;
                }
            }
            return true;
        }
    }

    /** The curve of column {@code name}; rows without it, or with a non-finite value, are left out. */
    public Series series(String name) {
        List<double[]> points = new ArrayList<>();
        for (JsonObject o : rows) {
            Double v = number(o, name);
            if (v != null && Double.isFinite(v)) {
                points.add(new double[] {number(o, "step"), v});
            }
        }
        double[] x = new double[points.size()];
        double[] y = new double[points.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = points.get(i)[0];
            y[i] = points.get(i)[1];
        }
        return new Series(name, x, y);
    }

    /** The last step logged. */
    public long lastStep() {
        return number(rows.get(rows.size() - 1), "step").longValue();
    }

    private static Double number(JsonObject o, String name) {
        JsonElement e = o.get(name);
        if (e == null || !e.isJsonPrimitive()) {
            return null;
        }
        JsonPrimitive p = e.getAsJsonPrimitive();
        if (p.isNumber()) {
            return p.getAsDouble();
        }
        if (p.isString()) { // Gson writes NaN/Infinity bare, but a hand-edited file may quote them
            try {
                return Double.valueOf(p.getAsString());
            } catch (NumberFormatException ex) {
                return null;
            }
        }
        return null;
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }

    private static String abbreviate(String line) {
        return line.length() <= 80 ? line : line.substring(0, 77) + "...";
    }
}
