package aclip4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import aclip4j.tower.HeadsConfig;
import aclip4j.tower.Presets;
import aclip4j.tower.TextConfig;
import aclip4j.tower.VisionConfig;
import org.junit.jupiter.api.Test;

class StepFlopsTest {
    @Test
    void countsEveryMatrixProductByHand() {
        // S 8, patch 4 (4 patches), D 4, one block, one head, E 2, MLP 4; all 4 patches kept: T = 5
        VisionConfig v = new VisionConfig(8, 4, 4, 1, 1, 2, 4);
        double block = 2 * 5 * 4 * 12 // qkv
                + 2 * 5 * 5 * 4 * 2    // q·kᵀ and attention·v
                + 2 * 5 * 4 * 4        // output projection
                + 2 * 5 * 4 * 16 * 2;  // two MLP linears
        assertEquals(2320, block);
        assertEquals(block, StepFlops.block(5, 4, 4), 0);
        // the last block: qkv and attention over all 5 rows, projection and MLP over the CLS row alone
        double last = 2 * 5 * 4 * 12 + 2 * 5 * 5 * 4 * 2 + 2 * 1 * 4 * 4 + 2 * 1 * 4 * 16 * 2;
        assertEquals(1168, last);
        assertEquals(2 * 4 * 48 * 4 + last + 2 * 4 * 2, StepFlops.visionForward(v, 4), 0);
        assertEquals(2 * 2 * 48 * 4 + StepFlops.lastBlock(3, 4, 4) + 16, StepFlops.visionForward(v, 2), 0);
        TextConfig t = new TextConfig(10, 3, 4, 2, 1, 2);
        assertEquals(StepFlops.block(3, 4, 4) + StepFlops.lastBlock(3, 4, 4) + 2 * 4 * 2, StepFlops.textForward(t), 0);
        // two positions of the three: every product over T shrinks with them
        double two = (2 * 2 * 4 * 12 + 2 * 2 * 2 * 4 * 2 + 2 * 2 * 4 * 4 + 2 * 2 * 4 * 16 * 2)
                + (2 * 2 * 4 * 12 + 2 * 2 * 2 * 4 * 2 + 2 * 4 * 4 + 2 * 4 * 16 * 2) + 16;
        assertEquals(two, StepFlops.textForward(t, 2), 0);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> StepFlops.textForward(t, 4));
    }

    @Test
    void aStepIsThreeForwardsOfEachOnlinePassOneOfTheEmaAndTheHeads() {
        VisionConfig v = Presets.vision("vit-s16");
        TextConfig t = Presets.text("clip-base");
        HeadsConfig h = Presets.heads("paper", v.width());
        TrainConfig clip = TrainerTest.config("--variant", "clip", "--model", "vit-s16", "--batch", "8");
        double online = 8 * 3 * (StepFlops.visionForward(v, 196) + StepFlops.textForward(t));
        assertEquals(online + 3 * 2 * 8 * 8 * 512, StepFlops.step(clip, v, t, h, 196, 224), 1);
        // ViT-S/16 forward at 224 px is about 4.6 G multiply-adds per image (9.2 GFLOP), as published for timm's;
        // less the last block's projection and MLP (9 D² multiply-adds) for the 196 rows after CLS
        assertEquals(9.2e9, 12 * StepFlops.block(197, 384, 4) + 2.0 * 196 * 768 * 384 + 2.0 * 384 * 512, 0.1e9);
        assertEquals(9.2e9 - 196 * 2 * 9 * 384.0 * 384, StepFlops.visionForward(v, 196), 0.1e9);
        TrainConfig aclip = TrainerTest.config("--variant", "aclip", "--model", "vit-s16", "--batch", "8");
        TrainConfig eff = TrainerTest.config("--variant", "aclip-eff", "--model", "vit-s16", "--batch", "8");
        double a = StepFlops.step(aclip, v, t, h, 100, 224), e = StepFlops.step(eff, v, t, h, 100, 112);
        double heads = 2 * 8 * 3 * 2 * (384.0 * 4096 + 4096.0 * 4096 + 4096 * 256)
                + 2 * 8 * 3 * 2 * (384.0 * 4096 + 4096 * 256 + 256.0 * 4096 + 4096 * 256) + 8 * 2 * (384.0 * 4096 + 4096 * 256);
        double ema = 8 * StepFlops.visionForward(v, 196), emaHalf = 8 * StepFlops.visionForward(
                new VisionConfig(112, 16, 384, 12, 12, 512, 4), 49);
        double masked = 2 * 8 * 3 * StepFlops.visionForward(v, 100) + 8 * 3 * StepFlops.textForward(t)
                + 3 * 2 * 16 * 8 * 512;
        assertEquals(masked + heads + ema, a, 1);
        assertEquals(masked + heads + emaHalf, e, 1);
        // captions of at most 20 positions: only the text term changes
        assertEquals(masked + heads + ema - 8 * 3 * (StepFlops.textForward(t) - StepFlops.textForward(t, 20)),
                StepFlops.step(aclip, v, t, h, 100, 224, 20), 1);
    }
}
