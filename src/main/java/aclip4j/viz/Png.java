package aclip4j.viz;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
        if (Files.isDirectory(abs)) {
            throw new IllegalArgumentException("--out " + file + " is a directory, expected a .png file name");
        }
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        if (!ImageIO.write(image, "png", bytes)) {
            throw new IOException("no PNG writer for a " + image.getWidth() + "x" + image.getHeight() + " image");
        }
        aclip4j.tensor.Safetensors.writeAtomically(abs, bytes.toByteArray()); // the project's one atomic write
    }
}
