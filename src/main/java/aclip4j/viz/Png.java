package aclip4j.viz;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import javax.imageio.ImageIO;

/** PNG output for the pictures: headless AWT, and files that are either absent or whole (temp file + rename). */
public final class Png {
    private Png() {}

    /**
     * Puts AWT in headless mode unless the user chose otherwise: the pictures are drawn into memory, and a server
     * without a display must not fail on the first font lookup. Call before the first AWT class is touched.
     */
    public static void headless() {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    /**
     * Writes {@code image} to {@code file} as PNG through a temporary file in the same directory, renamed into place,
     * so a reader (or a crash) never sees half a picture. Missing parent directories are created.
     */
    public static void write(BufferedImage image, Path file) throws IOException {
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        if (Files.isDirectory(abs)) {
            throw new IllegalArgumentException("--out " + file + " is a directory, expected a .png file name");
        }
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + abs.getFileName(), ".tmp");
        try {
            if (!ImageIO.write(image, "png", tmp.toFile())) {
                throw new IOException("no PNG writer for a " + image.getWidth() + "x" + image.getHeight() + " image");
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
