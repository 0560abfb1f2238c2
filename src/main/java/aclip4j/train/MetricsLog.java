package aclip4j.train;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code metrics.jsonl}: one JSON object per line, flushed after every line so a crash loses at most the line
 * being written. On resume, lines of steps after the checkpoint are dropped so the log matches the weights.
 */
public final class MetricsLog implements AutoCloseable {
    private final BufferedWriter out;
    private final Path file;

    private MetricsLog(BufferedWriter out, Path file) {
        this.out = out;
        this.file = file;
    }

    /** Opens the log for appending, first keeping only the well-formed lines whose {@code step <= keepUpTo}. */
    public static MetricsLog open(Path file, long keepUpTo) throws IOException {
        if (Files.exists(file)) {
            List<String> kept = new ArrayList<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                try {
                    JsonObject o = JsonParser.parseString(line).getAsJsonObject();
                    if (!o.has("step") || o.get("step").getAsLong() <= keepUpTo) {
                        kept.add(line);
                    }
                } catch (RuntimeException torn) {
                    // a torn last line from a crash: drop it
                }
            }
            StringBuilder text = new StringBuilder();
            kept.forEach(line -> text.append(line).append('\n'));
            aclip4j.tensor.Safetensors.writeAtomically(file, text.toString().getBytes(StandardCharsets.UTF_8));
        }
        try {
            return new MetricsLog(Files.newBufferedWriter(file, StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND), file);
        } catch (IOException e) {
            throw new IOException("cannot write " + file.toAbsolutePath() + ": "
                    + aclip4j.tensor.Safetensors.reason(e), e);
        }
    }

    public void write(JsonObject row) throws IOException {
        try {
            out.write(row.toString());
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            throw new IOException("cannot write " + file.toAbsolutePath() + ": "
                    + aclip4j.tensor.Safetensors.reason(e), e);
        }
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
