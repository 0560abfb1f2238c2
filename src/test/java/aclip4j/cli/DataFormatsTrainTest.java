package aclip4j.cli;

import aclip4j.train.RunState;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import aclip4j.data.ShardedDataTest;
import aclip4j.train.Checkpoint;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training end to end through the CLI on WebDataset shards and on a CSV table, then eval of the checkpoint. */
class DataFormatsTrainTest {
    @TempDir
    Path dir;

    private static final String[] RUN = {"--variant", "aclip", "--steps", "2", "--batch", "4", "--eval-images", "2",
            "--threads", "1"};

    private Object[] train(String data, String out, String... more) {
        java.util.List<String> a = new java.util.ArrayList<>(java.util.List.of("train", "--data", data, "--out",
                dir.resolve(out).toString()));
        a.addAll(java.util.List.of(RUN));
        a.addAll(java.util.List.of(more));
        return EvalCommandTest.run(a.toArray(new String[0]));
    }

    @Test
    void trainsAndEvaluatesOnShardsAndOnATable() throws Exception {
        Map<String, byte[]> m = new LinkedHashMap<>();
        StringBuilder csv = new StringBuilder("image;caption\n");
        Files.createDirectories(dir.resolve("img"));
        for (int i = 0; i < 30; i++) {
            m.put("s" + i + ".png", ShardedDataTest.png(i));
            m.put("s" + i + ".txt", ("a photo of thing " + i).getBytes(StandardCharsets.UTF_8));
            Files.write(dir.resolve("img").resolve(i + ".png"), ShardedDataTest.png(i));
            csv.append("img/").append(i).append(".png;a photo of thing ").append(i).append('\n');
        }
        Files.write(dir.resolve("000000.tar"), ShardedDataTest.tar(m));
        Files.writeString(dir.resolve("t.csv"), csv.toString());

        Object[] wds = train("wds:" + dir.resolve("000000.tar"), "wds");
        assertEquals(0, wds[0], (String) wds[2]);
        RunState.Loaded run = RunState.load(Checkpoint.lastFile(dir.resolve("wds")));
        assertEquals(aclip4j.data.Tokenizer.Kind.CLIP, run.config().tokenizer(), "real captions default to CLIP's BPE");
        Object[] ev = EvalCommandTest.run("eval", "--checkpoint", Checkpoint.lastFile(dir.resolve("wds")).toString(),
                "--images", "3", "--json");
        assertEquals(0, ev[0], (String) ev[2]);
        assertTrue(EvalCommandTest.lastJson((String) ev[1]).get("i2t_r1").getAsDouble() >= 0);

        Object[] table = train("csv:" + dir.resolve("t.csv"), "csv", "--csv-img-key", "image", "--csv-caption-key",
                "caption", "--csv-separator", ";");
        assertEquals(0, table[0], (String) table[2]);
        String data = RunState.load(Checkpoint.lastFile(dir.resolve("csv"))).config().data();
        assertEquals("csv:" + dir.resolve("t.csv") + "::img=image::caption=caption::sep=;", data,
                "the table's columns travel with the run, so eval and --resume read it the same way");
        Object[] misuse = train("scenes", "x", "--csv-separator", "comma");
        assertEquals(2, misuse[0]);
        assertTrue(((String) misuse[2]).contains("need --data csv:FILE"), (String) misuse[2]);
    }
}
