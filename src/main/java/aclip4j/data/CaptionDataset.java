package aclip4j.data;

import java.util.List;

/**
 * An image–caption data set without classes (an image folder, WebDataset shards, a CSV table): retrieval only;
 * zero-shot classification needs a class-labelled source (SPEC §11).
 */
public interface CaptionDataset extends Dataset {
    @Override
    default int label(int i) {
        checkIndex(i);
        return -1;
    }

    @Override
    default List<String> classNames() {
        return List.of();
    }

    @Override
    default List<String> templates() {
        return List.of();
    }
}
