package aclip4j.tower;

/**
 * The text tower (OpenAI CLIP, SPEC §2).
 *
 * @param vocab   vocabulary size (49408 for CLIP's BPE; smaller for a data-built vocabulary)
 * @param context context length (77)
 * @param width   token width W
 * @param depth   number of blocks L_t
 * @param heads   attention heads
 * @param embed   joint embedding size E (text_projection is W x E)
 */
public record TextConfig(int vocab, int context, int width, int depth, int heads, int embed) {
    public TextConfig {
        if (vocab <= 1 || context <= 1 || embed <= 0 || depth < 0) {
            throw new IllegalArgumentException("bad text config: vocab " + vocab + ", context " + context
                    + ", depth " + depth + ", embed " + embed);
        }
        if (width <= 0 || heads <= 0 || width % heads != 0) {
            throw new IllegalArgumentException("width " + width + " must be a positive multiple of heads " + heads);
        }
    }

    public int headSize() {
        return width / heads;
    }
}
