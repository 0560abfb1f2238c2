package aclip4j.mask.golden;

import aclip4j.twins.Twins;
import aclip4j.Backend;
import aclip4j.golden.ComponentHandler;
import aclip4j.golden.GoldenCase;
import aclip4j.tensor.Tensor;
import aclip4j.mask.TokenSelector;
import java.util.Map;

/**
 * Golden {@code select_tokens} (SPEC §5.3–§5.5): {@code in.cell_scores, in.noise [B,g,g]}, {@code strategy},
 * {@code keep_cells} (K), {@code mixed_top_cells}, {@code cell} (r) -> {@code out.keep_index I32 [B,K*r*r]},
 * {@code out.keep_mask U8 [B,N]}.
 */
public final class SelectTokensHandler implements ComponentHandler {
    @Override
    public String component() {
        return "select_tokens";
    }

    @Override
    public Map<String, Tensor> compute(GoldenCase golden, Backend backend) {
        Tensor scores = Inputs.floats(golden, "cell_scores", 3);
        int B = scores.dim(0);
        int g = Inputs.squareSide("in.cell_scores", scores);
        float[] noise = golden.hasInput("noise")
                ? Inputs.floats(golden, "noise", 3).requireShape("in.noise", B, g, g).toFloats()
                : null;
        TokenSelector.Strategy strategy = TokenSelector.Strategy.parse(golden.paramString("strategy", "low"));
        int K = golden.paramInt("keep_cells");
        int mixedTop = golden.paramInt("mixed_top_cells", TokenSelector.defaultMixedTopCells(g * g));
        int r = golden.paramInt("cell");
        TokenSelector impl = Twins.of(backend).tokenSelector();
        TokenSelector.Selection s = impl.select(scores.toFloats(), noise, B, g, r, strategy, K, mixedTop);
        return Map.of("out.keep_index", Tensor.i32(s.keepIndex(), B, s.kept()),
                "out.keep_mask", Tensor.u8(s.keepMask(), B, s.N()));
    }
}
