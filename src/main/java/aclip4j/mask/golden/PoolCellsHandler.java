package aclip4j.mask.golden;

import aclip4j.twins.Twins;
import aclip4j.Backend;
import aclip4j.golden.ComponentHandler;
import aclip4j.golden.GoldenCase;
import aclip4j.tensor.Tensor;
import aclip4j.mask.CellPooling;
import java.util.Map;

/** Golden {@code pool_cells} (SPEC §5.2): {@code in.scores [B,G,G]}, {@code cell} (r) -> {@code out.cells [B,g,g]}. */
public final class PoolCellsHandler implements ComponentHandler {
    @Override
    public String component() {
        return "pool_cells";
    }

    @Override
    public Map<String, Tensor> compute(GoldenCase golden, Backend backend) {
        Tensor scores = Inputs.floats(golden, "scores", 3);
        int B = scores.dim(0);
        int G = Inputs.squareSide("in.scores", scores);
        int r = golden.paramInt("cell");
        int g = CellPooling.cellGrid(G, r);
        CellPooling impl = Twins.of(backend).cellPooling();
        return Map.of("out.cells", Tensor.f32(impl.pool(scores.toFloats(), B, G, r), B, g, g));
    }
}
