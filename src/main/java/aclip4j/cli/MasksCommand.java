package aclip4j.cli;

import aclip4j.train.RunState;
import aclip4j.Backend;
import aclip4j.mask.TokenSelector;
import aclip4j.viz.Colormap;
import aclip4j.viz.MaskFigure;
import aclip4j.viz.MaskPicture;
import aclip4j.viz.Png;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code aclip4j masks}: the paper's Fig. 4 for a checkpoint — score maps and the tokens each view keeps. */
@Command(name = "masks", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Draw held-out images with their view boxes and EMA box (SPEC §4), the EMA tower's score map",
                "(§3) and each online view with the tokens the strategy drops greyed out (§5), one row per image."})
public final class MasksCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, paramLabel = "FILE", description = "a checkpoint-*.safetensors of a run")
    Path checkpoint;

    @Option(names = "--out", required = true, paramLabel = "FILE.png", description = "the picture to write")
    Path out;

    @Option(names = "--data", description = "scenes | fashion-mnist:DIR | mnist:DIR | folder:DIR | wds:SHARDS | csv:FILE (default: the run's data; its held-out split)")
    String data;

    @Option(names = "--images", defaultValue = "6", description = "held-out images, one row each (default: ${DEFAULT-VALUE})")
    int images;

    @Option(names = "--strategy", defaultValue = "low", description = "low | high | mixed | random (default: ${DEFAULT-VALUE})")
    String strategy;

    @Option(names = "--compare-random", description = "also show every view with random masking, beside the strategy's")
    boolean compareRandom;

    @Option(names = "--augment", description = "show the online views with the training augmentation (§9); the kept tokens do not depend on it")
    boolean augment;

    @Option(names = "--colormap", defaultValue = "viridis", description = "viridis | inferno (default: ${DEFAULT-VALUE})")
    String colormap;

    @Option(names = "--seed", defaultValue = "0", description = "seed of the boxes and of the random noise (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--backend", defaultValue = "simd", description = "simd | nd4j (default: ${DEFAULT-VALUE})")
    String backend;

    @Override
    public Integer call() throws Exception {
        Png.headless();
        Colormap cmap = Colormap.parse(colormap);
        MaskFigure.Options opt = new MaskFigure.Options(images, TokenSelector.Strategy.parse(strategy), compareRandom,
                seed, Backend.parse(backend), data, augment);
        RunState.Loaded run = RunState.load(checkpoint);
        MaskFigure.Figure f = MaskFigure.compute(run, opt);
        MaskPicture.Layout layout = MaskPicture.Layout.of(f);
        Png.write(MaskPicture.render(f, cmap, checkpoint.toAbsolutePath().toString()), out);
        System.out.println("wrote " + out + " (" + layout.width() + "x" + layout.height() + ", " + Files.size(out)
                + " bytes): " + f.rows().size() + " images, " + f.V() + " views, strategy "
                + opt.strategy().id() + (compareRandom ? " and random" : "")
                + ", scores from the " + (f.emaTower() ? "EMA" : "online") + " tower");
        return 0;
    }
}
