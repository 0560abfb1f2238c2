package aclip4j.cli;

import aclip4j.viz.Metrics;
import aclip4j.viz.MetricsPlot;
import aclip4j.viz.Png;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code aclip4j plot}: a run's training curves (metrics.jsonl) as one PNG. */
@Command(name = "plot", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Plot a run's metrics.jsonl into one PNG: loss terms, learning rate, held-out zero-shot",
                "accuracy and retrieval (steps with an evaluation, --eval-every) and the logit scale."})
public final class PlotCommand implements Callable<Integer> {
    @Option(names = "--run", required = true, paramLabel = "DIR", description = "a training run directory (or its metrics.jsonl)")
    Path run;

    @Option(names = "--out", required = true, paramLabel = "FILE.png", description = "the picture to write")
    Path out;

    @Override
    public Integer call() throws Exception {
        Png.headless();
        Metrics m = Metrics.read(run);
        Path dir = Files.isDirectory(run) ? run : m.file().toAbsolutePath().getParent();
        String title = "Training curves · " + (dir == null ? run : dir.getFileName()) + " · " + m.rows().size()
                + " logged steps, last step " + m.lastStep();
        Png.write(MetricsPlot.render(m, title, describeRun(dir, m)), out);
        System.out.println("wrote " + out + " (" + MetricsPlot.width() + "x" + MetricsPlot.height() + ", "
                + Files.size(out) + " bytes) from " + m.file());
        return 0;
    }

    /** One line from the run's config.json when it has one (variant, model, batch, steps, data), else the file. */
    static String describeRun(Path dir, Metrics m) {
        Path config = dir == null ? null : dir.resolve("config.json");
        if (config != null && Files.isRegularFile(config)) {
            try {
                JsonObject c = JsonParser.parseString(Files.readString(config, StandardCharsets.UTF_8)).getAsJsonObject();
                return String.format("%s · variant %s · model %s · %s steps of batch %s · views %s · strategy %s · data %s",
                        m.file(), str(c, "variant"), str(c, "model"), str(c, "steps"), str(c, "batch"),
                        str(c, "views"), str(c, "strategy"), str(c, "data"));
            } catch (RuntimeException | java.io.IOException e) {
                return m.file() + " (config.json unreadable: " + e.getMessage() + ")";
            }
        }
        return m.file().toString();
    }

    private static String str(JsonObject o, String k) {
        return o.has(k) && !o.get(k).isJsonNull() ? o.get(k).getAsString().toLowerCase(java.util.Locale.ROOT) : "?";
    }
}
