package aclip4j.data;

import static aclip4j.data.IdxDatasetTest.assertMessage;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataSourceTest {
    @TempDir
    Path dir;

    @Test
    void parsesTheFourKinds() {
        assertEquals(DataSource.Kind.SCENES, DataSource.parse("scenes").kind());
        assertEquals(new DataSource(DataSource.Kind.MNIST, Path.of("/d/m")), DataSource.parse("mnist:/d/m"));
        assertEquals(new DataSource(DataSource.Kind.FASHION_MNIST, Path.of("x")), DataSource.parse("fashion-mnist:x"));
        assertEquals(new DataSource(DataSource.Kind.FOLDER, Path.of("a:b")), DataSource.parse("folder:a:b"));
        assertEquals("fashion-mnist:x", DataSource.parse("fashion-mnist:x").toString());
    }

    @Test
    void rejectsBadSpecs() {
        assertMessage(() -> DataSource.parse("cifar:/x"), "unknown data source 'cifar:/x'");
        assertMessage(() -> DataSource.parse("mnist"), "needs a path");
        assertMessage(() -> DataSource.parse("mnist:"), "needs a path");
        assertMessage(() -> DataSource.parse(""), "empty data source");
        assertMessage(() -> DataSource.parse("scenes:/x"), "takes no path");
    }

    @Test
    void opensScenesAndIdx() throws Exception {
        DataSource.Options opt = new DataSource.Options(3, 32, 100, 10);
        Dataset train = DataSource.parse("scenes").open(Split.TRAIN, opt);
        Dataset test = DataSource.parse("scenes").open(Split.TEST, opt);
        assertEquals(100, train.size());
        assertEquals(10, test.size());
        assertEquals(32, train.image(0).height());
        assertArrayEquals(new ScenesDataset(3, Split.TEST, 10, 32, 32).image(4).chw(), test.image(4).chw());

        Files.write(dir.resolve("train-images.idx3-ubyte"), IdxDatasetTest.imagesFile(0x803, 2, 3, 3, 2));
        Files.write(dir.resolve("train-labels.idx1-ubyte"),
                IdxDatasetTest.gzip(IdxDatasetTest.labelsFile(0x801, new int[]{4, 5})));
        Dataset m = DataSource.parse("mnist:" + dir).open(Split.TRAIN, opt);
        assertEquals(2, m.size());
        assertEquals("five", m.classNames().get(m.label(1)));
        assertEquals(32, m.image(0).width());
        assertTrue(m.describe().startsWith("mnist train 2 images 32x32"), m.describe());
    }
}
