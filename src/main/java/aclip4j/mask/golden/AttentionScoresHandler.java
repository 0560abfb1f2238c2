package aclip4j.mask.golden;

import aclip4j.twins.Twins;
import aclip4j.Backend;
import aclip4j.golden.ComponentHandler;
import aclip4j.golden.GoldenCase;
import aclip4j.tensor.Tensor;
import aclip4j.mask.AttentionScore;
import java.util.Map;

/** Golden {@code attention_scores} (SPEC §3): {@code in.q, in.k [L,B,H,T,hs]}, {@code layers} -> {@code out.scores [B,N]}. */
public final class AttentionScoresHandler implements ComponentHandler {
    @Override
    public String component() {
        return "attention_scores";
    }

    @Override
    public Map<String, Tensor> compute(GoldenCase golden, Backend backend) {
        Tensor q = Inputs.floats(golden, "q", 5);
        Tensor k = Inputs.floats(golden, "k", 5).requireShape("in.k", q.shape());
        int L = q.dim(0);
        int B = q.dim(1);
        int H = q.dim(2);
        int T = q.dim(3);
        int hs = q.dim(4);
        AttentionScore.Layers layers = AttentionScore.Layers.parse(golden.paramString("layers", "all"));
        AttentionScore impl = Twins.of(backend).attentionScore();
        float[] scores = impl.fromQueryKey(q.toFloats(), k.toFloats(), L, B, H, T, hs, layers);
        return Map.of("out.scores", Tensor.f32(scores, B, T - 1));
    }
}
