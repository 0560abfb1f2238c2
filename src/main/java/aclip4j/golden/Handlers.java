package aclip4j.golden;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * Every golden component this project implements, by name (goldens/README.md "Components"): the
 * {@link ComponentHandler}s named in {@code META-INF/services/aclip4j.golden.ComponentHandler}, found by
 * {@link ServiceLoader}, as DJL finds its engines.
 */
public final class Handlers {
    private Handlers() {}

    public static Map<String, ComponentHandler> all() {
        Map<String, ComponentHandler> byName = new LinkedHashMap<>();
        for (ComponentHandler h : ServiceLoader.load(ComponentHandler.class, Handlers.class.getClassLoader())) {
            if (byName.put(h.component(), h) != null) {
                throw new IllegalStateException("two handlers for component " + h.component());
            }
        }
        if (byName.isEmpty()) {
            throw new IllegalStateException("no golden handlers found: META-INF/services/"
                    + ComponentHandler.class.getName() + " is missing from the class path");
        }
        return byName;
    }
}
