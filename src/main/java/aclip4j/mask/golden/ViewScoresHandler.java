package aclip4j.mask.golden;

import aclip4j.twins.Twins;
import aclip4j.Backend;
import aclip4j.golden.ComponentHandler;
import aclip4j.golden.GoldenCase;
import aclip4j.tensor.Tensor;
import aclip4j.mask.ViewScores;
import java.util.Map;

/**
 * Golden {@code view_scores} (SPEC §5.1): {@code in.score_map [B,Ge,Ge]}, {@code in.ema_box, in.view_box I32 [B,4]},
 * {@code grid} -> {@code out.view_scores [B,G,G]}.
 */
public final class ViewScoresHandler implements ComponentHandler {
    @Override
    public String component() {
        return "view_scores";
    }

    @Override
    public Map<String, Tensor> compute(GoldenCase golden, Backend backend) {
        Tensor map = Inputs.floats(golden, "score_map", 3);
        int B = map.dim(0);
        int Ge = Inputs.squareSide("in.score_map", map);
        int[] emaBox = Inputs.ints(golden, "ema_box", B, 4);
        int[] viewBox = Inputs.ints(golden, "view_box", B, 4);
        int G = golden.paramInt("grid");
        ViewScores impl = Twins.of(backend).viewScores();
        float[] sv = impl.viewScores(map.toFloats(), B, Ge, emaBox, viewBox, G);
        return Map.of("out.view_scores", Tensor.f32(sv, B, G, G));
    }
}
