package aclip4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import aclip4j.tensor.Tensor;
import aclip4j.kernel.Lanes;
import aclip4j.kernel.Parallel;
import aclip4j.kernel.RestoreThreads;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Same seed, same bits on every machine (docs/SPEC.md §13): 20 SIMD steps of the tiny A-CLIP (the default variant:
 * two attentive views, SimCLR and BYOL, EMA) end in a checkpoint whose SHA-256 over every tensor — online and EMA
 * weights, BatchNorm buffers, AdamW moments — is committed here. The build runs this test once per lane width
 * (0, 128, 256, 512 bits, each in its own JVM), each time on one and on two threads; a machine, JDK, width or
 * thread count that computes other bits fails.
 */
@ExtendWith(RestoreThreads.class)
class StepChecksumTest {
    /** SHA-256 of the 20-step checkpoint; see {@link #checksum}. Any change to the numerics must update it. */
    static final String EXPECTED = "0655a2ffd2de905a38c3df11c70bde2d89a98e8a5ce85d8935291f3250106f37";

    @TempDir
    Path dir;

    @Test
    void twentyStepsOfTinyAClipHaveTheCommittedChecksum() throws IOException {
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        TrainConfig cfg = TrainerTest.config("--variant", "aclip", "--seed", "3", "--checkpoint-every", "20");
        for (int threads : new int[] {1, 2}) {
            Parallel.setThreads(threads);
            Path run = dir.resolve("threads-" + threads);
            Trainer.start(cfg, run, quiet).run(Long.MAX_VALUE);
            String sha = checksum(Checkpoint.load(Checkpoint.lastFile(run)).tensors());
            assertEquals(EXPECTED, sha, "SHA-256 of the 20-step tiny A-CLIP checkpoint at " + Lanes.preferred()
                    + " with " + threads + " thread(s)");
        }
    }

    /** SHA-256 over the tensors in name order: per tensor its UTF-8 name, a 0 byte, its shape,
     * its dtype and its values (each widened exactly to a double, so float32 bits are hashed as they are). */
    static String checksum(Map<String, Tensor> tensors) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        for (Map.Entry<String, Tensor> e : new TreeMap<>(tensors).entrySet()) {
            sha.update(e.getKey().getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            Tensor t = e.getValue();
            ByteBuffer shape = ByteBuffer.allocate(4 * t.shape().length).order(ByteOrder.LITTLE_ENDIAN);
            for (long d : t.shape()) {
                shape.putInt((int) d);
            }
            sha.update(shape.array());
            sha.update(t.dtype().name().getBytes(StandardCharsets.UTF_8));
            double[] v = t.toDoubles(); // exact for float32 and int32 values
            ByteBuffer data = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
            for (double x : v) {
                data.putLong(Double.doubleToRawLongBits(x));
            }
            sha.update(data.array());
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}
