package aclip4j.train;

import aclip4j.golden.Tensor;
import aclip4j.kernel.Parallel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScratchTest {
    @TempDir
    Path dir;

    @Test
    void sameTwice() throws Exception {
        PrintStream q = new PrintStream(new ByteArrayOutputStream());
        Parallel.setThreads(2);
        for (String v : new String[] {"clip", "clip-random", "aclip-attn", "aclip"}) {
            TrainConfig cfg = TrainerTest.config("--variant", v, "--steps", "4");
            Trainer.start(cfg, dir.resolve(v + "a"), q).run(99);
            Trainer.start(cfg, dir.resolve(v + "b"), q).run(99);
            Map<String, Tensor> a = Checkpoint.load(Checkpoint.lastFile(dir.resolve(v + "a"))).tensors();
            Map<String, Tensor> b = Checkpoint.load(Checkpoint.lastFile(dir.resolve(v + "b"))).tensors();
            for (String n : a.keySet()) {
                if (!java.util.Arrays.equals(a.get(n).floats(), b.get(n).floats())) {
                    System.out.println("DIFF " + v + " " + n);
                }
            }
            System.out.println("done " + v);
        }
    }
}
