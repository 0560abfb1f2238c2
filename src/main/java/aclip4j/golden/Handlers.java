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
                new aclip4j.loss.golden.ClipLossHandler(),
                new aclip4j.loss.golden.SimClrLossHandler(),
                new aclip4j.loss.golden.SimSiamLossHandler(),
                new aclip4j.loss.golden.ByolLossHandler()
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
