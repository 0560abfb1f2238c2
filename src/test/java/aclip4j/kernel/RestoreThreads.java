package aclip4j.kernel;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * {@code @ExtendWith(RestoreThreads.class)}: each test of the class may call {@link Parallel#setThreads}; the count
 * it found is set back after it, so that the tests after it run on the configured threads.
 */
public final class RestoreThreads implements BeforeEachCallback, AfterEachCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(RestoreThreads.class);

    @Override
    public void beforeEach(ExtensionContext context) {
        context.getStore(NS).put("threads", Parallel.threads());
    }

    @Override
    public void afterEach(ExtensionContext context) {
        Parallel.setThreads(context.getStore(NS).get("threads", Integer.class));
    }
}
