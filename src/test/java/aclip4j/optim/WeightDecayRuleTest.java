package aclip4j.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** SPEC §8 decay grouping, on the goldens/README.md weight names. */
class WeightDecayRuleTest {

    @Test
    void matricesAndEmbeddingsDecay() {
        assertTrue(WeightDecayRule.decays("blocks.0.attn.qkv.weight", 2));
        assertTrue(WeightDecayRule.decays("blocks.11.mlp.fc2.weight", 2));
        assertTrue(WeightDecayRule.decays("patch_embed.proj.weight", 4));
        assertTrue(WeightDecayRule.decays("pos_embed", 3));
        assertTrue(WeightDecayRule.decays("cls_token", 3));
        assertTrue(WeightDecayRule.decays("image_projection", 2));
        assertTrue(WeightDecayRule.decays("text_projection", 2));
        assertTrue(WeightDecayRule.decays("token_embedding.weight", 2));
        assertTrue(WeightDecayRule.decays("positional_embedding", 2));
        assertTrue(WeightDecayRule.decays("transformer.resblocks.3.attn.in_proj_weight", 2));
        assertTrue(WeightDecayRule.decays("transformer.resblocks.3.mlp.c_fc.weight", 2));
        assertTrue(WeightDecayRule.decays("kernel.weight", 2), "'ln' inside a word is not a LayerNorm");
    }

    @Test
    void lowRankBiasesAndNormsDoNot() {
        assertFalse(WeightDecayRule.decays("logit_scale", 0));
        assertFalse(WeightDecayRule.decays("blocks.0.norm1.weight", 1));
        assertFalse(WeightDecayRule.decays("blocks.0.attn.qkv.bias", 1));
        assertFalse(WeightDecayRule.decays("projector.layers.1.weight", 1), "a BatchNorm named by its index");
        // the name rules, on tensors whose rank alone would let them decay
        assertFalse(WeightDecayRule.decays("head.bias", 2));
        assertFalse(WeightDecayRule.decays("transformer.resblocks.0.attn.in_proj_bias", 2));
        assertFalse(WeightDecayRule.decays("norm.weight", 2));
        assertFalse(WeightDecayRule.decays("blocks.0.norm2.weight", 2));
        assertFalse(WeightDecayRule.decays("transformer.resblocks.0.ln_1.weight", 2));
        assertFalse(WeightDecayRule.decays("ln_final.weight", 2));
        assertFalse(WeightDecayRule.decays("head.bn.weight", 2));
        assertFalse(WeightDecayRule.decays("head.bn1.running_mean", 2));
        assertFalse(WeightDecayRule.decays("head.LayerNorm.weight", 2));
    }

    @Test
    void weightDecayFor() {
        assertEquals(0.2, WeightDecayRule.weightDecayFor("blocks.0.mlp.fc1.weight", 2, 0.2));
        assertEquals(0.0, WeightDecayRule.weightDecayFor("blocks.0.mlp.fc1.bias", 1, 0.2));
    }
}
