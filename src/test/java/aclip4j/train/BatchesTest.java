package aclip4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import aclip4j.kernel.Parallel;
import aclip4j.kernel.RestoreThreads;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link Batches#make} makes a batch's images in parallel: the batch must not depend on the thread count. */
@ExtendWith(RestoreThreads.class)
public class BatchesTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"clip", "aclip", "aclip-eff"})
    void oneAndThreeThreadsMakeTheSameBatch(String variant) throws IOException {
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        Batches batches = Trainer.start(TrainerTest.config("--variant", variant, "--batch", "12"), dir, quiet)
                .batches();
        Parallel.setThreads(1);
        AClipStep.Batch one = batches.make(5, 4, 7); // step 5, images 4..10 of its batch of 12
        for (int threads : new int[] {3, 2}) {
            Parallel.setThreads(threads);
            AClipStep.Batch many = batches.make(5, 4, 7);
            String what = variant + " with " + threads + " threads";
            assertEquals(one.views().length, many.views().length, what);
            for (int v = 0; v < one.views().length; v++) {
                assertArrayEquals(one.views()[v], many.views()[v], what + ": view " + v);
                assertArrayEquals(one.noise()[v], many.noise()[v], what + ": noise " + v);
            }
            assertArrayEquals(one.emaView(), many.emaView(), what + ": EMA view");
            assertArrayEquals(one.viewBoxes(), many.viewBoxes(), what + ": view boxes");
            assertArrayEquals(one.emaBox(), many.emaBox(), what + ": EMA box");
            assertArrayEquals(one.tokens(), many.tokens(), what + ": captions");
        }
        // seven different images, not one image seven times
        int plane = one.views()[0].length / 7;
        assertFalse(Arrays.equals(Arrays.copyOfRange(one.views()[0], 0, plane),
                Arrays.copyOfRange(one.views()[0], plane, 2 * plane)), "images 0 and 1 of the batch are equal");
    }
}
