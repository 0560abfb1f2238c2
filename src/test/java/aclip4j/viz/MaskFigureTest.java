package aclip4j.viz;

import aclip4j.train.RunState;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import aclip4j.Backend;
import aclip4j.data.Augment;
import aclip4j.data.DataSource;
import aclip4j.data.Dataset;
import aclip4j.data.Split;
import aclip4j.data.Views;
import aclip4j.kernel.Lanes;
import aclip4j.mask.TokenSelector.Strategy;
import aclip4j.train.AClipStep;
import aclip4j.train.Components;
import aclip4j.train.Model;
import aclip4j.train.TrainConfig;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class MaskFigureTest {
    static RunState.Loaded aclip() throws IOException {
        return RunState.load(TinyRun.checkpoint(TinyRun.aclip()));
    }

    /**
     * The picture shows what training does: the same boxes, EMA view and noise fed to {@link AClipStep#run} (the
     * training step, EMA view rendered here on its own) keep exactly the tokens the figure greys out or not.
     */
    @ParameterizedTest
    @EnumSource(Strategy.class)
    void keptTokensAreTheTrainingStepsSelection(Strategy strategy) throws IOException {
        RunState.Loaded run = aclip();
        int B = 3;
        MaskFigure.Figure f = MaskFigure.compute(run, new MaskFigure.Options(B, strategy, false, 7, Backend.SIMD, null, false));
        TrainConfig cfg = run.config();
        Model m = run.model();
        int S = f.S(), Se = f.Se(), V = f.V(), n = f.n(), kept = f.kept();
        assertEquals(2, V);
        assertEquals(S, Se);
        assertEquals(9 * 4, kept, "tiny: 9 of 16 cells of 2x2 patches (§5.3: floor(16/2)+1)");

        Dataset data = DataSource.parse("scenes").open(Split.TEST, new DataSource.Options(cfg.seed(), S, 20000, B));
        float[] emaView = new float[B * 3 * Se * Se];
        int[] emaBox = new int[B * 4];
        int[] viewBoxes = new int[B * V * 4];
        float[][] views = new float[V][B * 3 * S * S];
        float[][] noise = new float[V][B * n];
        List<String> captions = new ArrayList<>();
        for (int b = 0; b < B; b++) {
            MaskFigure.Row row = f.rows().get(b);
            assertArrayEquals(data.image(b).chw(), row.source().chw(), "row " + b + " is held-out image " + b);
            float[] e = Views.crop(data.image(b), row.emaBox().toArray(), Se);
            Augment.normalize(e, Se, Se);
            System.arraycopy(e, 0, emaView, b * 3 * Se * Se, e.length);
            System.arraycopy(row.emaBox().toArray(), 0, emaBox, b * 4, 4);
            for (int v = 0; v < V; v++) {
                MaskFigure.View view = row.views().get(v);
                System.arraycopy(view.box().toArray(), 0, viewBoxes, (b * V + v) * 4, 4);
                System.arraycopy(view.noise(), 0, noise[v], b * n, n);
                // the displayed view is the view crop, normalised and back (no augmentation asked for)
                float[] crop = Views.crop(data.image(b), view.box().toArray(), S);
                for (int i = 0; i < crop.length; i++) {
                    assertEquals(crop[i], view.pixels()[i], 1e-5f, "view pixel " + i);
                }
                System.arraycopy(view.pixels(), 0, views[v], b * 3 * S * S, 3 * S * S);
            }
            captions.add(row.caption());
        }
        AClipStep.Settings settings = new AClipStep.Settings(cfg.variant(), V, f.r(), f.keepCells(), strategy,
                f.mixedTop(), cfg.scoreLayers(), cfg.ssl(), cfg.byolOn(), aclip4j.train.TrainConfig.SIMCLR_TEMPERATURE, false,
                cfg.wSsl(), cfg.wByol(), true, Se, cfg.bnPerView());
        Components c = Components.of(Backend.SIMD, m.vision, Se, m.text, m.heads, Lanes.preferred());
        AClipStep.Result r = AClipStep.run(c, m, settings,
                new AClipStep.Batch(B, views, emaView, viewBoxes, emaBox, run.tokenizer().encodeBatch(captions), noise));
        for (int v = 0; v < V; v++) {
            for (int b = 0; b < B; b++) {
                byte[] expected = new byte[f.N()];
                for (int j = 0; j < kept; j++) {
                    expected[r.keepIndex()[v][b * kept + j]] = 1;
                }
                assertArrayEquals(expected, f.rows().get(b).views().get(v).keep(), "image " + b + " view " + v);
            }
        }
    }

    /** §5.4 by hand on the figure's own cell scores and noise: low keeps the top K cells, random the K least noisy. */
    @Test
    void selectionsMatchAHandOracle() throws IOException {
        MaskFigure.Figure f = MaskFigure.compute(aclip(),
                new MaskFigure.Options(2, Strategy.DROP_LOW, true, 3, Backend.SIMD, null, false));
        for (MaskFigure.Row row : f.rows()) {
            for (MaskFigure.View view : row.views()) {
                assertArrayEquals(expand(topK(view.cellScores(), f.keepCells(), true), f), view.keep());
                assertArrayEquals(expand(topK(view.noise(), f.keepCells(), false), f), view.keepRandom());
            }
        }
    }

    @Test
    void withoutAnEmaTowerTheOnlineTowerScores() throws IOException {
        RunState.Loaded run = RunState.load(TinyRun.checkpoint(TinyRun.clipRandom()));
        assertTrue(run.model().ema.isEmpty());
        MaskFigure.Figure f = MaskFigure.compute(run, new MaskFigure.Options(2, Strategy.DROP_LOW, false, 0, Backend.SIMD, null, false));
        assertFalse(f.emaTower());
        assertEquals(f.S(), f.Se());
        for (MaskFigure.Row row : f.rows()) {
            assertEquals(f.Ge() * f.Ge(), row.scoreMap().length);
            float sum = 0;
            for (float s : row.scoreMap()) {
                sum += s;
            }
            // §3: CLS attention to patches averaged over layers and heads, CLS-to-CLS weight dropped: below 1, above 0
            assertTrue(sum > 0 && sum < 1, "score map sums to " + sum);
            for (MaskFigure.View view : row.views()) {
                assertArrayEquals(expand(topK(view.cellScores(), f.keepCells(), true), f), view.keep());
            }
        }
    }

    @Test
    void badOptionsAreRefused() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new MaskFigure.Options(0, Strategy.DROP_LOW, false, 0, Backend.SIMD, null, false));
        assertTrue(e.getMessage().contains("--images is 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new MaskFigure.Options(2, Strategy.RANDOM, true, 0, Backend.SIMD, null, false));
        assertTrue(e.getMessage().contains("--compare-random"), e.getMessage());
        RunState.Loaded run = aclip();
        e = assertThrows(IllegalArgumentException.class, () -> MaskFigure.compute(run,
                new MaskFigure.Options(2, Strategy.DROP_LOW, false, 0, Backend.SIMD, "nowhere", false)));
        assertTrue(e.getMessage().contains("nowhere"), e.getMessage());
    }

    /** The K cells with the largest (or smallest) values, ties to the lower index, as a cell mask. */
    static boolean[] topK(float[] values, int K, boolean largest) {
        Integer[] order = new Integer[values.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> {
            int c = largest ? Float.compare(values[b], values[a]) : Float.compare(values[a], values[b]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        boolean[] keep = new boolean[values.length];
        for (int i = 0; i < K; i++) {
            keep[order[i]] = true;
        }
        return keep;
    }

    /** A cell mask on the g x g grid as a token mask on the G x G grid. */
    static byte[] expand(boolean[] cells, MaskFigure.Figure f) {
        int G = f.G(), r = f.r(), g = f.g();
        byte[] tokens = new byte[G * G];
        for (int y = 0; y < G; y++) {
            for (int x = 0; x < G; x++) {
                tokens[y * G + x] = (byte) (cells[(y / r) * g + x / r] ? 1 : 0);
            }
        }
        return tokens;
    }
}
