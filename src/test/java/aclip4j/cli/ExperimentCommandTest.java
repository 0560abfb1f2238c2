package aclip4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code experiment table2} end to end on a seconds-long budget, twice: the second run redoes nothing. */
class ExperimentCommandTest {
    @TempDir
    Path dir;

    private String run(String... args) {
        PrintStream before = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            int rc = Main.run(args);
            assertEquals(0, rc, buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(before);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    @Test
    void table2TrainsEveryRowAndSeedOnceAndWritesTheTableAndChart() throws Exception {
        Path out = dir.resolve("t2");
        String[] args = {"experiment", "table2", "--steps", "2", "--seeds", "2", "--batch", "4", "--rows",
                "clip,attentive-2x50", "--eval-images", "16", "--out", out.toString()};
        String first = run(args);
        assertTrue(first.contains("[4/4] attentive-2x50 seed 1: zero-shot top-1"), first);
        for (String row : List.of("clip", "attentive-2x50")) {
            for (int seed = 0; seed < 2; seed++) {
                JsonObject r = JsonParser.parseString(Files.readString(
                        out.resolve(row).resolve("seed-" + seed).resolve("result.json"))).getAsJsonObject();
                assertEquals(seed, r.get("seed").getAsInt());
                double top1 = r.getAsJsonObject("main").get("zero_shot_top1").getAsDouble();
                assertTrue(top1 >= 0 && top1 <= 1, "top-1 " + top1);
                assertEquals(row.startsWith("attentive"), r.has("object_kept"), row + " object share");
            }
        }
        // two seeds of one row train on other crops and masks: their results differ
        assertNotEquals(firstLoss(out.resolve("clip/seed-0/metrics.jsonl")), firstLoss(out.resolve("clip/seed-1/metrics.jsonl")));
        String table = Files.readString(out.resolve("table2.md"));
        assertTrue(table.contains("| clip | ") && table.contains("| attentive-2x50 | ") && table.contains("2 seeds"),
                table);
        assertTrue(table.contains(" ± "), "two seeds give a spread: " + table);
        assertTrue(Files.size(out.resolve("table2.png")) > 1000, "bar chart written");

        long stamp = Files.getLastModifiedTime(out.resolve("clip/seed-0/result.json")).toMillis();
        String second = run(args);
        assertTrue(second.contains("[1/4] clip seed 0: done before, kept"), second);
        assertEquals(stamp, Files.getLastModifiedTime(out.resolve("clip/seed-0/result.json")).toMillis());
    }

    private static double firstLoss(Path metrics) throws java.io.IOException {
        return JsonParser.parseString(Files.readAllLines(metrics).get(0)).getAsJsonObject().get("loss").getAsDouble();
    }

    @Test
    void anUnknownRowIsOneClearError() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream before = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int rc;
        try {
            rc = Main.run("experiment", "table2", "--rows", "clip,nope", "--out", dir.resolve("x").toString());
        } finally {
            System.setErr(before);
        }
        String text = err.toString(StandardCharsets.UTF_8).trim();
        assertEquals(2, rc, text);
        assertTrue(text.startsWith("aclip4j: --rows: unknown row 'nope'") && !text.contains("\n"), text);
    }
}
