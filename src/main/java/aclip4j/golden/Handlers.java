package aclip4j.golden;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Every golden component this project implements, by name. */
public final class Handlers {
    private Handlers() {}

    public static Map<String, ComponentHandler> all() {
        List<ComponentHandler> list = List.of(
                // one line per component handler
<<<<<<< HEAD
                new aclip4j.mask.BoxesHandler(),
                new aclip4j.ema.golden.EmaUpdateHandler(),
                new aclip4j.ema.golden.MomentumScheduleHandler(),
                new aclip4j.optim.golden.LrScheduleHandler(),
                new aclip4j.optim.golden.AdamWStepHandler()
=======
                new aclip4j.mask.golden.AttentionScoresHandler(),
                new aclip4j.mask.golden.ResizeBilinearHandler(),
                new aclip4j.mask.golden.ViewScoresHandler(),
                new aclip4j.mask.golden.PoolCellsHandler(),
                new aclip4j.mask.golden.SelectTokensHandler()
>>>>>>> mask
        );
        Map<String, ComponentHandler> byName = new LinkedHashMap<>();
        for (ComponentHandler h : list) {
            if (byName.put(h.component(), h) != null) {
                throw new IllegalStateException("two handlers for component " + h.component());
            }
        }
        return byName;
    }
}
