package aclip4j.golden;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Every golden component this project implements, by name (goldens/README.md "Components"). */
public final class Handlers {
    private Handlers() {}

    public static Map<String, ComponentHandler> all() {
        List<ComponentHandler> list = new ArrayList<>(List.of(
                // §3, §5: the masking machinery
                new aclip4j.mask.golden.AttentionScoresHandler(),
                new aclip4j.mask.golden.ResizeBilinearHandler(),
                new aclip4j.mask.golden.ViewScoresHandler(),
                new aclip4j.mask.golden.PoolCellsHandler(),
                new aclip4j.mask.golden.SelectTokensHandler(),
                // §4: boxes
                new aclip4j.mask.BoxesHandler(),
                // §7, §8: EMA, schedules, optimiser
                new aclip4j.ema.golden.EmaUpdateHandler(),
                new aclip4j.ema.golden.MomentumScheduleHandler(),
                new aclip4j.optim.golden.LrScheduleHandler(),
                new aclip4j.optim.golden.AdamWStepHandler(),
                // §6: losses and their gradients
                new aclip4j.loss.golden.ClipLossHandler(),
                new aclip4j.loss.golden.SimClrLossHandler(),
                new aclip4j.loss.golden.SimSiamLossHandler(),
                new aclip4j.loss.golden.ByolLossHandler(),
                // §1–§8: one whole training step
                new aclip4j.train.golden.AClipStepHandler()));
        // §1–§3: the towers
        list.addAll(aclip4j.tower.golden.TowerHandlers.all());
        Map<String, ComponentHandler> byName = new LinkedHashMap<>();
        for (ComponentHandler h : list) {
            if (byName.put(h.component(), h) != null) {
                throw new IllegalStateException("two handlers for component " + h.component());
            }
        }
        return byName;
    }
}
