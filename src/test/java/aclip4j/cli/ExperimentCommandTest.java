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
                assertEquals(16, r.getAsJsonObject("main").get("images").getAsInt(), "--eval-images held-out images");
                assertEquals(16, r.getAsJsonObject("online").get("images").getAsInt());
                assertEquals(row.startsWith("attentive"), r.has("object_kept"), row + " object share");
            }
        }
        // two seeds of one row train on other crops and masks: their results differ
        assertNotEquals(firstLoss(out.resolve("clip/seed-0/metrics.jsonl")), firstLoss(out.resolve("clip/seed-1/metrics.jsonl")));
        String table = Files.readString(out.resolve("table2.md"));
        assertTrue(table.contains("| clip | ") && table.contains("| attentive-2x50 | ") && table.contains("2 seeds on 16 held-out images"),
                table);
        assertTrue(table.contains(" ± "), "two seeds give a spread: " + table);
        assertTrue(Files.size(out.resolve("table2.png")) > 1000, "bar chart written");
        assertTrue(Files.size(out.resolve("object_share.png")) > 1000, "object-share curves written");

        long stamp = Files.getLastModifiedTime(out.resolve("clip/seed-0/result.json")).toMillis();
        String second = run(args);
        assertTrue(second.contains("[1/4] clip seed 0: done before, kept"), second);
        assertEquals(stamp, Files.getLastModifiedTime(out.resolve("clip/seed-0/result.json")).toMillis());
    }

    @Test
    void everyRowIsOneValidConfigOfTheSharedRecipeDifferingOnlyInWhatItNames() {
        ExperimentCommand.Table2 t = new ExperimentCommand.Table2();
        new picocli.CommandLine(t).parseArgs();
        assertEquals(List.of("clip", "random-1x50", "random-2x50", "attentive-1x50", "attentive-2x50", "aclip",
                "aclip-eff"), ExperimentCommand.Table2.PAPER_ROWS);
        java.util.Map<String, aclip4j.train.TrainConfig> cfg = new java.util.LinkedHashMap<>();
        for (String row : ExperimentCommand.Table2.ROWS.keySet()) {
            List<String> args = new java.util.ArrayList<>(t.recipe(0));
            args.addAll(ExperimentCommand.Table2.ROWS.get(row));
            TrainCommand c = new TrainCommand();
            new picocli.CommandLine(c).setOverwrittenOptionsAllowed(true).parseArgs(args.toArray(new String[0]));
            cfg.put(row, c.config()); // validates
            assertEquals(2e-3, cfg.get(row).lr(), row);
            assertTrue(cfg.get(row).augment(), row);
        }
        aclip4j.train.TrainConfig base = cfg.get("attentive-2x50");
        assertEquals(aclip4j.mask.TokenSelector.Strategy.DROP_HIGH, cfg.get("attentive-2x50-high").strategy());
        assertEquals(aclip4j.mask.TokenSelector.Strategy.MIXED, cfg.get("attentive-2x50-mixed").strategy());
        assertEquals(aclip4j.mask.AttentionScore.Layers.LAST, cfg.get("attentive-2x50-last-layer").scoreLayers());
        assertEquals(8, cfg.get("attentive-2x50-cell8").maskCell());
        assertEquals(32, cfg.get("attentive-2x50-cell32").maskCell());
        assertEquals(16, base.maskCell());
        assertEquals(3, cfg.get("attentive-3x33").views());
        assertEquals(1.0 / 3, cfg.get("attentive-3x33").keepFraction(), 1e-12);
        assertEquals(4, cfg.get("attentive-4x25").views());
        assertEquals(3, cfg.get("aclip-3x33").views());
        assertTrue(cfg.get("aclip-3x33").sslOn() && cfg.get("aclip-3x33").byolOn());
        assertEquals(aclip4j.mask.TokenSelector.Strategy.MIXED, cfg.get("aclip-mixed").strategy());
        assertEquals(2, cfg.get("aclip-mixed").views());
        // an ablation differs from its base in the one option it names
        assertEquals(new aclip4j.train.TrainConfig(base.variant(), base.views(), base.keep(),
                aclip4j.mask.TokenSelector.Strategy.DROP_HIGH,
                base.scoreLayers(), base.maskCell(), base.ssl(), base.byol(), base.simclrSameView(), base.bnPerView(),
                base.enclosing(), base.backend(), base.model(), base.data(), base.steps(), base.batch(), base.accum(),
                base.lr(), base.lrStart(), base.lrEnd(), base.warmup(), base.weightDecay(), base.m0(), base.wSsl(),
                base.wByol(), base.augment(), base.freezePatchEmbed(), base.seed(), base.threads(),
                base.checkpointEvery(), base.evalEvery(), base.evalImages(), base.trainImages(), base.tokenizer(),
                base.maskWarmup(), base.init()),
                cfg.get("attentive-2x50-high"));
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
